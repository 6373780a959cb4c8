"""Which types a ``.skops`` model file may hold, and checks of the tree models it may build.

skops builds a model from a tree of nodes, each naming a type or a function by its fully qualified
name, and only after every name is on a trusted list. The list this tool passes is enumerated,
never a name prefix: a prefix such as ``numpy.`` would also admit ``numpy.load``, and ``builtins.``
would admit ``exec``. skops applies one list to every kind of node (object, type, function,
constructor call), so every name on it must be harmless to import, to call with any arguments and
to hand to an estimator as a function. Classes of estimators and data containers are; functions
are not, and the list holds none (skops itself trusts NumPy and SciPy ufuncs as functions).

Tree ensembles and sparse matrices store raw indices that compiled code follows without bounds
checks, so a crafted file could make ``predict`` read outside its arrays. The two tree node types
are trusted because the shipped reference models need them, and :func:`check_tree_structures`
proves every tree and sparse matrix well formed before the model is handed out.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import numpy as np

from responsible_ai.errors import InputError

__all__ = [
    "EXTRA_MODEL_TYPES",
    "MITIGATION_TYPES",
    "NUMPY_SCIPY_TYPES",
    "SKLEARN_HELPER_TYPES",
    "check_tree_structures",
    "is_trusted_model_type",
    "trusted_model_types",
]

# Non-estimator scikit-learn classes that fitted estimators hold as attributes.
SKLEARN_HELPER_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.utils._bunch.Bunch",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)

# The mitigated models of ``rai mitigate`` (responsible_ai.mitigate), by exact class name, and the
# one fairlearn class they keep (its fitted state is NumPy arrays).
MITIGATION_TYPES = (
    "responsible_ai.mitigate.reweighing.ReweighingClassifier",
    "responsible_ai.mitigate.reductions.ReductionClassifier",
    "responsible_ai.mitigate.reductions.CorrelationRemoverClassifier",
    "responsible_ai.mitigate.thresholds.GroupThresholdClassifier",
    "responsible_ai.mitigate.thresholds.ThresholdOptimizerClassifier",
    "fairlearn.preprocessing._correlation_remover.CorrelationRemover",
)

NUMPY_SCIPY_TYPES = (
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.ma.core.MaskedArray",
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    *(
        f"scipy.sparse._{layout}.{layout}_{kind}"
        for layout in ("csr", "csc", "coo", "bsr", "dia", "dok", "lil")
        for kind in ("matrix", "array")
    ),
)

# Model classes of optional libraries, trusted only when the library is installed.
EXTRA_MODEL_TYPES = {
    "lightgbm": (
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMModel",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.sklearn.LGBMRanker",
        "collections.OrderedDict",
    ),
    "xgboost": (
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBModel",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "xgboost.sklearn.XGBRanker",
        "xgboost.sklearn.XGBRFClassifier",
        "xgboost.sklearn.XGBRFRegressor",
    ),
}

TREE_MALFORMED = (
    "{path} holds a malformed tree (node {node}: {problem}); scikit-learn would read outside "
    "its arrays when predicting. Save the model again with skops.io.dump from its source"
)

SPARSE_MALFORMED = (
    "{path} holds a malformed sparse matrix ({problem}); save the model again with skops.io.dump"
)


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


# The module parts scikit-learn's ``all_estimators`` never walks.
_SKLEARN_MODULES_IGNORED = {
    "tests",
    "externals",
    "setup",
    "conftest",
    "experimental",
    "estimator_checks",
}


@functools.cache
def _fixed_types() -> frozenset[str]:
    """The enumerated names that are not scikit-learn estimators."""
    names = set(SKLEARN_HELPER_TYPES + NUMPY_SCIPY_TYPES + MITIGATION_TYPES)
    names.update(_qualified_name(scalar) for scalar in set(np.sctypeDict.values()))
    for package, types in EXTRA_MODEL_TYPES.items():
        if importlib.util.find_spec(package) is not None:
            names.update(types)
    return frozenset(names)


def _public_estimator(name: str) -> bool:
    """Whether ``name`` is a scikit-learn estimator class that its public package exports.

    The class is looked up in the public package of its module (``sklearn.linear_model`` for
    ``sklearn.linear_model._logistic.LogisticRegression``), which ``all_estimators`` walks, so
    a name accepted here is always one of ``all_estimators()``; the file's private module is
    never imported by name.
    """
    module, _, attribute = name.rpartition(".")
    parts = module.split(".")
    if parts[0] != "sklearn" or not attribute.isidentifier() or attribute.startswith("_"):
        return False
    public: list[str] = []
    for part in parts:
        if part.startswith("_"):
            break
        public.append(part)
    if any(part in _SKLEARN_MODULES_IGNORED for part in public):
        return False
    from sklearn.base import BaseEstimator

    try:
        package = importlib.import_module(".".join(public))
    except Exception:  # not a module of the installed scikit-learn
        return False
    try:  # a package's __getattr__ may raise for a name it gates (experimental estimators)
        found = getattr(package, attribute, None)
    except Exception:
        return False
    return (
        isinstance(found, type)
        and _qualified_name(found) == name
        and issubclass(found, BaseEstimator)
        and found is not BaseEstimator
        and not getattr(found, "__abstractmethods__", None)
    )


def is_trusted_model_type(name: str) -> bool:
    """Whether a ``.skops`` model may hold ``name`` without ``--trust-model``.

    The same answer as ``name in trusted_model_types()``, without walking every scikit-learn
    module for the common case (a public estimator, or one of the enumerated helper types).
    """
    if name in _fixed_types() or _public_estimator(name):
        return True
    return name in trusted_model_types()


@functools.cache
def trusted_model_types() -> frozenset[str]:
    """Every type name a ``.skops`` model may hold without ``--trust-model``.

    scikit-learn's estimators and transformers come from ``sklearn.utils.all_estimators()``, one
    fully qualified class name each, so a new scikit-learn release adds its own classes and
    nothing else.
    """
    from sklearn.utils import all_estimators

    names = {_qualified_name(cls) for _, cls in all_estimators() if isinstance(cls, type)}
    return frozenset(names | _fixed_types())


def check_tree_structures(model: Any, path: str) -> None:
    """Refuse a loaded model whose trees would send ``predict`` outside their arrays.

    Every split must point at children stored after it (so walking a tree ends) and inside the
    node array, and at a feature the estimator was fitted on.

    Raises
    ------
    InputError
        A tree or histogram-gradient-boosting predictor is malformed.
    """
    from scipy.sparse import issparse
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    seen: set[int] = set()
    stack: list[tuple[Any, int | None]] = [(model, None)]
    while stack:
        item, n_features = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Tree):
            _check_tree(item, n_features, path)
        elif isinstance(item, TreePredictor):
            _check_predictor(item, n_features, path)
        elif isinstance(item, dict):
            stack.extend((value, n_features) for value in item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend((value, n_features) for value in item)
        elif issparse(item):
            _check_sparse(item, path)
        elif isinstance(item, np.ndarray):
            if item.dtype == object:
                stack.extend((value, n_features) for value in item.ravel())
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            if isinstance(getattr(item, "_predictors", None), list):
                _check_categorical_splits(item, path)
            try:  # a property on some meta-estimators; it may raise more than AttributeError
                fitted = getattr(item, "n_features_in_", None)
            except Exception:
                fitted = None
            inner = int(fitted) if isinstance(fitted, int | np.integer) else n_features
            stack.extend((value, inner) for value in vars(item).values())


def _check_sparse(matrix: Any, path: str) -> None:
    # scipy builds a sparse matrix from a file's index arrays without checking them against its
    # shape; its compiled products would then read outside the data
    try:
        if hasattr(matrix, "check_format"):  # CSR, CSC, BSR
            matrix.check_format(full_check=True)
        elif hasattr(matrix, "_check"):  # COO
            matrix._check()
    except ValueError as exc:
        problem = (str(exc).strip().splitlines() or ["bad indices"])[0][:200]
        raise InputError(SPARSE_MALFORMED.format(path=path, problem=problem)) from None


def _refuse(path: str, node: int | str, problem: str) -> InputError:
    return InputError(TREE_MALFORMED.format(path=path, node=node, problem=problem))


def _check_links(
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    split: np.ndarray,
    limit: int,
    path: str,
) -> None:
    count = len(left)
    index = np.arange(count)
    for name, child in (("left child", left), ("right child", right)):
        bad = split & ((child <= index) | (child >= count))
        if bad.any():
            node = int(np.flatnonzero(bad)[0])
            raise _refuse(path, node, f"{name} {int(child[node])} is not a later node")
    bad = split & ((feature < 0) | (feature >= limit))
    if bad.any():
        node = int(np.flatnonzero(bad)[0])
        raise _refuse(path, node, f"feature {int(feature[node])} is not one of {limit} features")


def _check_tree(tree: Any, n_features: int | None, path: str) -> None:
    left = np.asarray(tree.children_left, dtype=np.int64)
    right = np.asarray(tree.children_right, dtype=np.int64)
    feature = np.asarray(tree.feature, dtype=np.int64)
    if not len(left):
        raise _refuse(path, "-", "the tree has no nodes")
    limit = int(tree.n_features)
    if n_features is None or int(n_features) != limit:
        raise _refuse(path, "-", f"the tree has {limit} features, its estimator {n_features}")
    leaf = left == -1
    if (leaf != (right == -1)).any():
        node = int(np.flatnonzero(leaf != (right == -1))[0])
        raise _refuse(path, node, "only one of its children is a leaf marker")
    _check_links(left, right, feature, ~leaf, limit, path)


def _check_predictor(predictor: Any, n_features: int | None, path: str) -> None:
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = predictor.nodes
    layout = isinstance(nodes, np.ndarray) and nodes.ndim == 1
    if not layout or nodes.dtype != PREDICTOR_RECORD_DTYPE:
        raise _refuse(path, "-", "its node array does not have scikit-learn's record layout")
    if not len(nodes):
        raise _refuse(path, "-", "the tree has no nodes")
    if n_features is None:
        raise _refuse(path, "-", "its estimator does not say how many features it was fitted on")
    split = nodes["is_leaf"] == 0
    left = nodes["left"].astype(np.int64)
    right = nodes["right"].astype(np.int64)
    _check_links(left, right, nodes["feature_idx"].astype(np.int64), split, int(n_features), path)
    for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        bitsets = getattr(predictor, name, None)
        if not isinstance(bitsets, np.ndarray) or bitsets.ndim != 2 or bitsets.shape[1] != 8:
            raise _refuse(path, "-", f"{name} is not an array of 8-word bitsets")
        categorical = split & (nodes["is_categorical"] != 0)
        bad = categorical & (nodes["bitset_idx"].astype(np.int64) >= len(bitsets))
        if bad.any():
            node = int(np.flatnonzero(bad)[0])
            raise _refuse(path, node, f"bitset {int(nodes['bitset_idx'][node])} does not exist")


def _check_categorical_splits(estimator: Any, path: str) -> None:
    """A categorical split must be on a feature the bin mapper knows as categorical.

    ``predict`` looks the feature up in a table of the categorical features only, unchecked.
    """
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    mapper = getattr(estimator, "_bin_mapper", None)
    flags = getattr(mapper, "is_categorical_", None)
    categorical = np.zeros(0, bool) if flags is None else np.asarray(flags).astype(bool).ravel()
    for row in estimator._predictors:
        for predictor in row if isinstance(row, list) else [row]:
            nodes = getattr(predictor, "nodes", None)
            if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE:
                continue  # refused by _check_predictor when the walk reaches it
            split = (nodes["is_leaf"] == 0) & (nodes["is_categorical"] != 0)
            features = nodes["feature_idx"].astype(np.int64)
            known = (features >= 0) & (features < len(categorical))
            on_categorical = np.zeros(len(features), dtype=bool)
            on_categorical[known] = categorical[features[known]]
            bad = split & ~on_categorical
            if bad.any():
                node = int(np.flatnonzero(bad)[0])
                problem = (
                    f"categorical split on feature {int(features[node])}, not a categorical one"
                )
                raise _refuse(path, node, problem)
