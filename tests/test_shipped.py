"""What ships is valid: schemas, the bundled pathway, examples, the template."""

from __future__ import annotations

import ast
import filecmp
import json
from pathlib import Path

import jsonschema
import yaml
from helpers import EXAMPLES, PATHWAY_FILE, REPO, repo_pathway

from myositis_cli import lint, loading, resources
from myositis_cli.pathway import profile_validator
from myositis_cli.profile import build_profile


def test_every_shipped_schema_is_valid() -> None:
    for path in sorted((REPO / "schemas").glob("*.schema.json")):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_bundled_pathway_is_clean_and_cites_the_abstract_first() -> None:
    assert lint.check(str(PATHWAY_FILE)) == []
    pathway = repo_pathway()
    assert pathway.metadata.sources[0] == "sp0173"
    assert (
        "SP0173" in pathway.references["sp0173"].citation
        and "Suppl 2):42" in pathway.references["sp0173"].citation
    )
    assert set(pathway.therapies) == {
        "glucocorticoids",
        "methotrexate",
        "azathioprine",
        "mycophenolate",
        "cyclosporine",
        "tacrolimus",
        "ivig",
        "rituximab",
        "anti_tnf",
        "acth_gel",
        "cyclophosphamide",
        "jak_inhibitor",
        "abatacept",
        "hydroxychloroquine",
        "nintedanib",
    }
    assert pathway.always_discouraged == {"anti_tnf"}
    assert ("acth_gel", "limited_evidence") in {(t, c) for t, c, _ in pathway.required_caveats}


def test_installed_bundle_is_this_checkout() -> None:
    # a stale install would test one pathway and ship another
    for name in ("pathways", "schemas"):
        installed, repo = resources.data_dir(name), REPO / name
        assert filecmp.cmpfiles(repo, installed, [p.name for p in repo.glob("*.*")], shallow=False)[
            1:
        ] == ([], [])


def test_examples_are_valid_and_realistic() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 6
    documents = [doc for f in files for doc in loading.iter_documents(f.read_bytes())]
    for doc in documents:
        assert doc.error is None and profile_validator().is_valid(doc.data)
        build_profile(doc.data, repo_pathway())
    subtypes = {d.data["diagnosis"]["subtype"] for d in documents}
    assert {
        "dermatomyositis",
        "antisynthetase_syndrome",
        "immune_mediated_necrotizing_myopathy",
        "polymyositis",
        "inclusion_body_myositis",
    } <= subtypes


def test_template_profile_validates() -> None:
    template = yaml.safe_load((REPO / "schemas" / "profile-template.yaml").read_text())
    assert profile_validator().is_valid(template)


def _code_words(path: Path) -> str:
    """Identifiers and string literals of a module, without docstrings or comments."""
    tree = ast.parse(path.read_text())
    docstrings = {  # a bare string statement is documentation, wherever it stands
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    words = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            words.append(node.value)
        elif isinstance(node, ast.Name):
            words.append(node.id)
        elif isinstance(node, ast.Attribute):
            words.append(node.attr)
    return " ".join(words).lower()


def test_no_clinical_names_in_the_engine() -> None:
    # clinical knowledge lives in the pathway: the engine must not name a therapy or a condition
    names = set(repo_pathway().therapies) | {
        "prednisone",
        "statin",
        "pregnan",
        "tuberculosis",
        "egfr",
    }
    for module in (
        "engine.py",
        "conditions.py",
        "profile.py",
        "batch.py",
        "results.py",
        "pathway.py",
    ):
        words = _code_words(REPO / "myositis_cli" / module)
        assert not [n for n in names if n in words], module


def test_profile_schema_matches_the_spec_field_list() -> None:
    spec = Path(REPO.parent / "shared" / "spec" / "profile.md")
    if not spec.exists():  # the spec sits beside the checkout in development only
        return
    fields = set(repo_pathway().fields)
    for line in spec.read_text().splitlines():
        if line.startswith("| `") and "`" in line[3:]:
            name = line[3 : line.index("`", 3)]
            if name.startswith("history[]."):  # entry fields are read by {history: ...} tests
                assert name.split(".", 1)[1] in ("therapy", "months", "outcome", "current"), name
                continue
            assert name in fields, name
