"""The graph drawing: what the walk finds behind a tensor, and that it draws without a graphviz binary."""
import torch

from helpers.chapters.graph import describe_graph, draw_graph


def test_backward_basics_graph_before_and_after_backward():
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    assert describe_graph(y, {"x": x, "y": y}, lang="en") == "\n".join([
        "y: output, shape (), value 28  -> MulBackward0 (y)",
        "MulBackward0 (y)  -> DotBackward0, 2",
        "DotBackward0  -> x, x",
        "2: constant",
        "x: leaf, shape (4,), value [0, 1, 2, 3]",
    ])
    y.backward()  # frees the saved 2; the drawing remembers it was a constant
    after = describe_graph(y, {"x": x, "y": y}, lang="en")
    assert "2: constant" in after and after.endswith("x: leaf, shape (4,), value [0, 1, 2, 3], grad [0, 4, 8, 12]")


def test_constant_and_detached_input_are_drawn_differently_and_alike_after_backward():
    x = torch.arange(4.0, requires_grad=True)
    u = (x * x).detach()
    z = (2 * (u * x)).sum()
    before = draw_graph(z, {"x": x, "u": u})
    z.backward()
    after = draw_graph(z, {"x": x, "u": u})
    kinds = {node.title: node.kind for node in after.nodes}
    assert kinds["2"] == "constant" and kinds["u"] == "cut"
    assert before.describe("en").split("\n")[:-1] == after.describe("en").split("\n")[:-1]  # the leaf gains its grad


def test_shared_node_is_listed_once_and_layers_go_top_down():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    out = (y * y * 3).mean()
    graph = draw_graph(out, {"x": x, "y": y})
    titles = [node.title for node in graph.nodes]
    assert titles.count("AddBackward0 (y)") == 1 and titles.count("x") == 1
    layers = [node.layer for node in graph.nodes]
    assert layers == sorted(layers)
    assert all(graph.nodes[parent].layer < graph.nodes[child].layer for parent, child in graph.edges)
    assert graph.nodes[-1].layer == graph.depth - 1  # leaves on the bottom row
    assert graph.edges.count((titles.index("MulBackward0 #2"), titles.index("AddBackward0 (y)"))) == 2


def test_detached_input_is_cut_and_named():
    x = torch.arange(4.0, requires_grad=True)
    u = (x * x).detach()
    z = (u * x).sum()
    graph = draw_graph(z, {"x": x, "u": u})
    cut = next(node for node in graph.nodes if node.kind == "cut")
    assert cut.title == "u" and cut.facts["value"] == "[0, 1, 4, 9]"
    assert "u: cut off, no gradient flows here" in graph.describe("en")


def test_an_input_nothing_saved_is_an_unsaved_input():
    x = torch.tensor(1.0, requires_grad=True)
    y1 = x ** 2
    with torch.no_grad():
        y2 = x ** 3
    y3 = y1 + y2
    y3.backward()
    kinds = sorted(node.kind for node in draw_graph(y3).nodes)
    assert kinds == ["input", "leaf", "op", "op", "output"]  # AddBackward0 saves neither operand
    assert describe_graph(y3, {"x": x}, lang="en").endswith("x: leaf, shape (), value 1, grad 2")


def test_a_python_number_is_a_constant_where_the_operation_saved_it():
    x = torch.arange(3.0, requires_grad=True)
    assert "2: constant" in describe_graph((2 * x).sum(), {"x": x}, lang="en")  # mul saves the 2
    assert "3.5: constant" in describe_graph((x * 3.5).sum(), {"x": x}, lang="en")
    added = describe_graph((x + 2).sum(), {"x": x}, lang="en")  # add needs nothing of the 2: it is not saved
    assert "AddBackward0  -> x, unsaved input" in added
    assert "unsaved input: needs no gradient, the operation saved nothing of it" in added
    assert "unsaved input: 不需要梯度，运算没有保存它" in describe_graph((x + 2).sum(), lang="zh")


def test_a_named_zero_dim_tensor_is_a_cut_not_a_constant():
    x = torch.arange(3.0, requires_grad=True)
    scale = torch.tensor(2.0)
    assert "scale: cut off, no gradient flows here, shape (), value 2" in \
        describe_graph((scale * x).sum(), {"x": x, "scale": scale}, lang="en")


def test_backward_before_any_drawing_leaves_a_freed_input():
    x = torch.arange(3.0, requires_grad=True)
    y = (2 * x).sum()
    y.backward()  # frees the saved 2 before anything read it
    assert "MulBackward0  -> x, freed input" in describe_graph(y, {"x": x}, lang="en")
    z = (2 * x).sum()
    before = describe_graph(z, {"x": x}, lang="en")
    z.backward()
    assert "2: constant" in before and "2: constant" in describe_graph(z, {"x": x}, lang="en")


def test_data_saved_under_other_argument_names_is_found_and_named():
    torch.manual_seed(0)
    X, y = torch.randn(5, 3), torch.randn(5, 1)
    model = torch.nn.Linear(3, 1)
    loss = torch.nn.functional.mse_loss(model(X), y)  # addmm saves X as mat1, mse_loss saves y as target
    anonymous = describe_graph(loss, {"W": model.weight, "b": model.bias}, lang="en")
    assert "AddmmBackward0  -> b, tensor #2, TBackward0" in anonymous
    assert "tensor #2: cut off, no gradient flows here, shape (5, 3)" in anonymous
    loss.backward()  # the drawing above remembered them: names given now still apply
    named = describe_graph(loss, {"W": model.weight, "b": model.bias, "X": X, "y": y}, lang="en")
    assert "MseLossBackward0  -> AddmmBackward0, y" in named and "AddmmBackward0  -> b, X, TBackward0" in named


def test_tensors_without_graph():
    x = torch.arange(3.0, requires_grad=True)
    assert describe_graph(x, {"x": x}, lang="en") == "x: leaf, shape (3,), value [0, 1, 2]"
    assert describe_graph(torch.zeros(2), lang="en") == "tensor: cut off, no gradient flows here, shape (2,)"


def test_large_tensors_are_summarised_and_negative_zero_is_hidden():
    x = torch.zeros(10, requires_grad=True)
    (-x).sum().backward()
    assert describe_graph(x, {"x": x}, lang="en") == "x: leaf, shape (10,), grad shape (10,)"
    x = torch.zeros(2, requires_grad=True)
    (-x).sum().backward()
    assert "grad [-1, -1]" in describe_graph(x, lang="en") and "-0" not in describe_graph(-x, lang="en")


def test_repr_is_the_description_and_png_is_drawn():
    x = torch.arange(4.0, requires_grad=True)
    graph = draw_graph((x * x).sum(), {"x": x})
    assert repr(graph) == graph.describe()
    png = graph._repr_png_()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    labels = [text.get_text() for text in graph.figure().axes[0].texts if text.get_text()]
    assert labels == ["output\nshape ()\nvalue 14", "SumBackward0", "MulBackward0", "x\nshape (4,)\nvalue [0, 1, 2, 3]"]


def test_drawn_labels_are_ascii_whatever_the_language():
    """The drawing's font has no CJK glyphs: a Chinese label would print missing-glyph warnings in a notebook."""
    x = torch.arange(3.0, requires_grad=True)
    u = (x * x).detach()
    y = (x + 2) * u * 3
    y.sum().backward()  # u's and 3's saved values are freed before the drawing: both become freed inputs
    labels = [text.get_text() for text in draw_graph((x + 2).sum() * u.sum()).figure().axes[0].texts]
    labels += [text.get_text() for text in draw_graph(y.sum(), {"x": x}).figure().axes[0].texts]
    assert any("unsaved input" in label for label in labels) and any("freed input" in label for label in labels)
    assert all(label.isascii() for label in labels)
