"""What an answer's source text shows, read where the verdict is made: the grading process reads the answer cell
itself (the child could lie about it), the notebook's ``check`` the cell its kernel ran.

* ``forbidden_uses``: a forbidden function or module however it is spelled (``np.cos``, ``from math import cos``,
  ``torch.optim.SGD``, ``getattr(np, "cos")``) and every lookup that could hide one (``getattr(np, "co" + "s")``,
  ``vars(m)[name]``, ``__import__(name)``, ``eval``);
* ``ctx_reads``: which attributes of ``ctx`` a Function's ``backward`` reads;
* ``returns_value``: whether a function has a ``return`` with a value;
* ``free_names`` / ``bound_names``: the names a cell takes from outside it, and the names it defines;
* ``tampering``: code that changes the checker or what it reads (its modules, ``torch.autograd.gradcheck``, a
  Tensor subclass that redefines ``grad_fn``, frame and garbage-collector introspection).

Every function returns plain data and never raises: text that cannot be parsed shows nothing.
"""
import ast
import builtins
import functools
import re
import symtable

BUILTIN_NAMES = frozenset(dir(builtins))
# Calls whose argument names an attribute or a module (at that position): a computed name can hide any name.
LOOKUPS = {"getattr": 1, "hasattr": 1, "setattr": 1, "delattr": 1, "attrgetter": 0, "methodcaller": 0,
           "__getattribute__": 0, "__getattr__": 0, "import_module": 0, "__import__": 0}
CODE_FROM_TEXT = frozenset({"eval", "exec", "compile"})  # code in a string can call anything
NAMESPACES = ("__dict__", "vars", "globals", "locals", "modules")  # m.__dict__[...], vars(m)[...], sys.modules[...]
# What the probe reads a tensor with: a subclass that redefines one of these lies to any plain attribute read.
TENSOR_ATTRIBUTES = frozenset({"grad_fn", "requires_grad", "is_leaf", "grad", "_grad", "data", "dtype", "shape",
                               "detach", "tolist", "numel", "to", "reshape", "_base"})
# Names only code that reaches into the checker's frames, closures or the torch function mode stack uses.
INTROSPECTION = frozenset({"_getframe", "currentframe", "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame",
                           "gi_frame", "cr_frame", "get_referrers", "get_referents", "get_objects", "__closure__",
                           "cell_contents", "__globals__", "_current_frames", "settrace", "setprofile",
                           "_pop_torch_function_stack", "_push_on_torch_function_stack", "_set_torch_function_mode",
                           "DisableTorchFunction", "DisableTorchFunctionSubclass"})
# torch.<these> and builtins are what the probe uses: assigning to them changes what it reads.
TORCH_INTERNALS = frozenset({"autograd", "Tensor", "_C", "overrides", "_tensor"})
CHECKER_MODULES = (("helpers", "checking"), ("helpers", "grading"))
MAX_TEXT = 200_000
SNIPPET = 60


@functools.lru_cache(maxsize=64)
def parse(text):
    """The module's syntax tree, or None (not text, too long, not Python, or nested too deeply)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _walk(tree):
    """Every node, without recursion (a deeply nested expression must not overflow the stack)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _snippet(text, node):
    try:
        segment = ast.get_source_segment(text, node) or ""
    except Exception:  # noqa: BLE001 -- positions out of range in a strange tree
        segment = ""
    segment = " ".join(segment.split())
    return segment if len(segment) <= SNIPPET else segment[:SNIPPET - 1] + "…"


def _chain(node):
    """The dotted name of ``a.b.c`` as a tuple ("a", "b", "c"), or () when it is not a plain chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return (node.id, *reversed(parts))
    return ()


def _called_name(call):
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


def _lookups(tree):
    """(node, the name it looks up or None when computed) for every lookup by name: getattr and its kin,
    importlib's import_module, a subscript of a namespace (``m.__dict__[...]``, ``vars(m)[...]``,
    ``sys.modules[...]``); and (node, None) for code run from a string (eval, exec, compile)."""
    for node in _walk(tree):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            if name in CODE_FROM_TEXT:
                yield node, None
            elif name in LOOKUPS:
                position, args = LOOKUPS[name], node.args
                argument = args[position] if len(args) > position else None
                yield node, _literal(argument)
        elif isinstance(node, ast.Subscript):
            base = node.value
            name = base.attr if isinstance(base, ast.Attribute) else _called_name(base) if isinstance(base, ast.Call) \
                else None
            if name in NAMESPACES:
                yield node, _literal(node.slice)


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def forbidden_uses(text, names=(), modules=()):
    """[(line, code)] where ``text`` uses a forbidden function or module, or looks a name up in a way that could hide
    one (a computed name, code in a string).

    ``names`` are function names (``cos``: any attribute, name or import of that name, or a lookup of it by a written
    name, ``getattr(np, "cos")``); ``modules`` dotted module names (``torch.optim``: the module or its last component,
    imported, reached or looked up)."""
    tree = parse(text)
    if tree is None or not (names or modules):
        return []
    words = set(names) | {module.rsplit(".", 1)[-1] for module in modules}
    spelled = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words)) + r")\b")
    found = []
    for node in _walk(tree):
        hit = None
        if isinstance(node, ast.Name) and node.id in words:
            hit = node
        elif isinstance(node, ast.Attribute) and node.attr in words:
            hit = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            paths = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                paths = [f"{node.module or ''}.{name}" for name in paths] + [node.module or ""]
            if any(set(path.split(".")) & words for path in paths):
                hit = node
        if hit is not None:
            found.append((getattr(hit, "lineno", 0), _snippet(text, hit)))
    found += [(node.lineno, _snippet(text, node)) for node, name in _lookups(tree)
              if name is None or spelled.search(name)]
    return sorted(set(found))


def _class_method(tree, class_name, method):
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name]
    methods = [node for node in (classes[-1].body if classes else [])
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == method]
    return methods[-1] if methods else None


def ctx_reads(text, class_name, allowed):
    """[(line, code)] where the ``backward`` of class ``class_name`` reads an attribute of ``ctx`` not in
    ``allowed``, or reads ``ctx`` by a computed name (``getattr(ctx, name)``, ``vars(ctx)``)."""
    tree = parse(text)
    backward = _class_method(tree, class_name, "backward") if tree else None
    if backward is None or not backward.args.args:
        return []
    ctx = backward.args.args[0].arg
    found = []
    for node in _walk(backward):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == ctx \
                and node.attr not in allowed:
            found.append((node.lineno, _snippet(text, node)))
        elif isinstance(node, ast.Call) and _called_name(node) in ("getattr", "vars") and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id == ctx:
            found.append((node.lineno, _snippet(text, node)))
    return sorted(set(found))


def _definition(tree, name, method=None):
    if method:
        return _class_method(tree, name, method)
    found = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == name]
    return found[-1] if found else None


def returns_value(text, name, method=None):
    """True when function ``name`` (or method ``method`` of class ``name``) has a ``return`` with a value (not
    ``None``), False when it has none, None when ``text`` does not define it."""
    tree = parse(text)
    function = _definition(tree, name, method) if tree else None
    if function is None:
        return None
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            return True
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


@functools.lru_cache(maxsize=256)
def _symbols(text):
    """(names the text binds at its top level, global names it reads anywhere) of a cell, or None."""
    if parse(text) is None:
        return None
    try:
        table = symtable.symtable(text, "<answer>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    bound = frozenset(s.get_name() for s in table.get_symbols() if s.is_local())
    read, tables = set(), [table]
    while tables:
        current = tables.pop()
        read.update(s.get_name() for s in current.get_symbols() if s.is_referenced() and s.is_global())
        tables.extend(current.get_children())
    return bound, frozenset(read)


def bound_names(text):
    """The names a cell defines at its top level (assignments, imports, def, class)."""
    symbols = _symbols(text)
    return set(symbols[0]) if symbols else set()


def free_names(text, given=()):
    """The global names a cell reads but neither defines nor gets from ``given`` (the setup cell's names) or the
    builtins: in the grader, where each answer cell runs alone after the setup cell, these are undefined."""
    symbols = _symbols(text)
    if symbols is None:
        return set()
    bound, read = symbols
    return {name for name in read - bound - set(given) - BUILTIN_NAMES if not name.startswith("__")}


def tampering(text):
    """[(line, code)]: code that changes the checker or what it reads, which no answer needs."""
    tree = parse(text)
    if tree is None:
        return []
    found = []
    for node in _walk(tree):
        chain = _chain(node) if isinstance(node, ast.Attribute) else ()
        if any(chain[i:i + 2] == pair for pair in CHECKER_MODULES for i in range(len(chain) - 1)):
            found.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            paths = [alias.name for alias in node.names]
            if isinstance(node, ast.ImportFrom):
                paths = [f"{node.module or ''}.{name}" for name in paths]
            if any(path.startswith(("helpers.checking", "helpers.grading")) or path.split(".")[0] == "ctypes"
                   for path in paths):
                found.append(node)
        elif isinstance(node, ast.Attribute) and node.attr in INTROSPECTION:
            found.append(node)
        elif isinstance(node, ast.Name) and node.id in INTROSPECTION:
            found.append(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in INTROSPECTION:
            found.append(node)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(_patches(_chain(target)) for target in targets if isinstance(target, ast.Attribute)):
                found.append(node)
        elif isinstance(node, ast.Call) and _called_name(node) in ("setattr", "delattr") and node.args \
                and _patches(_chain(node.args[0]) + ("?",)):
            found.append(node)
        elif isinstance(node, ast.ClassDef) and _redefines_tensor(node):
            found.append(node)
    return sorted({(getattr(node, "lineno", 0), _snippet(text, node)) for node in found})


def _patches(chain):
    """True for an assignment target inside the modules the probe reads with: torch's autograd, Tensor, _C and
    overrides, the builtins, the checker's own modules."""
    if len(chain) < 2:
        return False
    root = chain[0]
    return (root == "torch" and chain[1] in TORCH_INTERNALS) or root in ("builtins", "helpers", "__builtins__")


def _redefines_tensor(node):
    """A class derived from a Tensor class whose body defines an attribute the probe reads (a lying property)."""
    if not any("Tensor" in ".".join(_chain(base)) or "Parameter" in ".".join(_chain(base)) for base in node.bases):
        return False
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name in TENSOR_ATTRIBUTES:
            return True
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if any(isinstance(t, ast.Name) and t.id in TENSOR_ATTRIBUTES for t in targets):
                return True
    return False
