/* Native attacks for tests/test_walls.py: a student's answer cell writes this library into its folder and
   loads it as an extension module, so the code below runs inside the sandboxed child with no Python-level hook
   in its way, as a student's own native code would. The constructor does what $ATTACK names and writes its
   finding to ./verdict ("ok" when the attack worked; for "sysv_read", what it received). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define KEY 0x20202020
#define QUEUE "/autograd-walls"

static void verdict(const char *text, size_t length) {
    int fd = open("verdict", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text, length) < 0) {}
        close(fd);
    }
}

struct message { long type; char text[256]; };

static int sysv_write(const char *answer) {
    int worked = 0;
    int queue = msgget(KEY, IPC_CREAT | 0666);
    if (queue >= 0) {
        struct message m = {1, {0}};
        strncpy(m.text, answer, sizeof m.text - 1);
        worked |= msgsnd(queue, &m, strlen(m.text) + 1, IPC_NOWAIT) == 0;
    }
    worked |= shmget(KEY, 4096, IPC_CREAT | 0666) >= 0;
    worked |= semget(KEY, 1, IPC_CREAT | 0666) >= 0;
    mqd_t mq = mq_open(QUEUE, O_CREAT | O_WRONLY, 0666, NULL);
    if (mq != (mqd_t)-1) {
        worked |= mq_send(mq, answer, strlen(answer) + 1, 0) == 0;
    }
    return worked;
}

static void sysv_read(void) {
    struct message m = {0, {0}};
    int queue = msgget(KEY, 0);
    if (queue >= 0 && msgrcv(queue, &m, sizeof m.text, 0, IPC_NOWAIT) > 0) {
        verdict(m.text, strlen(m.text));
    }
}

/* The needles come XOR-ed with 0x5a (so the answer cell never holds them); decoded into a map of their own
   that the scan skips, so finding a needle means finding it somewhere else in this process. */
static char *needles;
static size_t needles_size;
static char *scratch;
static const size_t SCRATCH = 1 << 20;

static int holds(const char *data, size_t length) {
    for (char *needle = needles; needle < needles + needles_size && *needle; needle += strlen(needle) + 1) {
        if (memmem(data, length, needle, strlen(needle))) return 1;
    }
    return 0;
}

static int file_holds(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t got = read(fd, scratch, SCRATCH);
    close(fd);
    return got > 0 && holds(scratch, (size_t)got);
}

static int memory_holds(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    int memory = open("/proc/self/mem", O_RDONLY);
    char line[512];
    int found = 0;
    while (maps && memory >= 0 && !found && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 || perms[0] != 'r' || perms[1] != 'w') continue;
        for (unsigned long at = start; at < end && !found; at += SCRATCH) {
            if ((at >= (unsigned long)needles && at < (unsigned long)needles + needles_size) ||
                (at >= (unsigned long)scratch && at < (unsigned long)scratch + SCRATCH)) continue;
            size_t length = end - at < SCRATCH ? end - at : SCRATCH;
            ssize_t got = pread(memory, scratch, length, (off_t)at);
            found = got > 0 && holds(scratch, (size_t)got);
        }
    }
    if (maps) fclose(maps);
    if (memory >= 0) close(memory);
    return found;
}

static int secrets(const char *coded) {
    needles_size = strlen(coded) / 2 + 2;
    needles = mmap(NULL, needles_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    scratch = mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (needles == MAP_FAILED || scratch == MAP_FAILED) return 0;
    for (size_t i = 0; coded[2 * i] && coded[2 * i + 1]; i++) {
        unsigned int byte;
        sscanf(coded + 2 * i, "%2x", &byte);
        needles[i] = (char)(byte ^ 0x5a);  /* "," (0x2c ^ 0x5a) separates needles: made 0 below */
        if (needles[i] == ',') needles[i] = 0;
    }
    int found = file_holds("/proc/self/environ") || file_holds("/proc/self/cmdline") || memory_holds();
    char path[64];
    for (int pid = getppid() - 300; pid < getppid() + 300 && !found; pid++) {
        if (pid <= 1 || pid == getpid()) continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        found = file_holds(path);
        snprintf(path, sizeof path, "/proc/%d/environ", pid);
        found = found || file_holds(path);
    }
    return found;
}

static int deep_tree(int depth) {
    int folder = open(".", O_RDONLY | O_DIRECTORY);
    for (int level = 0; level < depth && folder >= 0; level++) {
        if (mkdirat(folder, "d", 0755) != 0) return 0;
        int deeper = openat(folder, "d", O_RDONLY | O_DIRECTORY);
        close(folder);
        folder = deeper;
    }
    return folder >= 0;
}

__attribute__((constructor)) static void attack(void) {
    const char *what = getenv("ATTACK"), *argument = getenv("ARGUMENT");
    if (!what) return;
    if (!strcmp(what, "sysv_write") && sysv_write(argument ? argument : "")) verdict("ok", 2);
    if (!strcmp(what, "sysv_read")) sysv_read();
    if (!strcmp(what, "secrets") && argument && secrets(argument)) verdict("ok", 2);
    if (!strcmp(what, "deep_tree") && deep_tree(1500)) verdict("ok", 2);  /* deeper than shutil.rmtree can recurse */
    if (!strcmp(what, "ignore_sigxcpu") && signal(SIGXCPU, SIG_IGN) != SIG_ERR) verdict("ok", 2);
}
