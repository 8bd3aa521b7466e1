"""The shape of the code base: one home per formula, one-way layers, no hidden imports.

- Every formula of the engine has one home (docs/architecture.md lists them): a scan of the
  library's and the app's code (docstrings and comments left out) fails if the pattern of a
  formula appears outside its home, and if it no longer appears in its home (so a rule that
  matches nothing cannot pass silently).
- The allowed arrows between parts are import-linter contracts in pyproject.toml.
- Imports between the library's own modules sit at the top of each module (function-level
  imports would hide the graph); the command line's lazy imports are the one exception (they
  keep ``pbr-fairness --help`` from loading LightGBM).
- No docstring cites a file that is not in the repository.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "pbr_fairness"
APP = ROOT / "app"

#: (what, regex over ``ast.unparse`` of a module without docstrings, its home modules)
FORMULAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("expected sustainment payments sum (1-h)^m", r"\bdef sustainment_factor\(",
     ("engine/value.py",)),
    ("geometric sum of periods in work",
     r"\(1(\.0)? - \w+ \*\* [^)]+\) / |expm1\(\w+ \* \w+\) / np\.expm1\(",
     ("engine/value.py",)),
    ("outcome value V = J + S * ...",
     r"\['J'\]\) \+ \w+ \*|\['J'\] \+ \w*\['S'\]|\bj \+ s \* sustainment_factor\(",
     ("engine/value.py",)),
    ("response curve p0 + gain (1 - exp(-k e))", r"expm1\(-", ("engine/curve.py",)),
    ("response slope gain k exp(-k e)", r"\* np\.exp\(-\w+ \* \w+\)", ("engine/curve.py",)),
    ("hours at a marginal cost", r"\(b\w* - t\w*\) / \w*k|np\.log\([^()]*\) / \w*k\b",
     ("engine/hours.py",)),
    ("breakpoints ln(V g k) - k e_min", r"- \w*k\w* \* \w*min\w*\b", ("engine/hours.py",)),
    ("capacity multiplier search", r"\bt_new = ", ("engine/capacity.py",)),
    ("mission blend (1 - m) V + m w",
     r"\(1(\.0)? - (m|mission|\w+\.mission|\w+\.mission_weight)\) \*", ("engine/hours.py",)),
    ("perceived gain sigmoid(lp + delta) - sigmoid(lp)", r"sigmoid\(\w+ \+ delta\) - ",
     ("engine/information.py",)),
    ("planner weights ((1 - p0) / mean) ** eta",
     r"\(d / mean_distance\) \*\*|\(1(\.0)? - p0\w*\) / ", ("engine/planner.py",)),
    ("minimum of service versus capacity", r"exceeds the provider", ("engine/provider.py",)),
    ("parked test hours <= minimum + tolerance", r"PARKED_TOLERANCE = |hours\w* <= \w*min\w* \+",
     ("engine/hours.py",)),
    ("does this need a model prediction",
     r"basis != 'payment_group'|or provider_knows == 'model'|provider_knows == 'model' or"
     r"|or \S*basis == 'payment_group'|basis == 'payment_group' or",
     ("engine/prediction.py",)),
)


def _code(path: Path) -> str:
    """A module's code with docstrings (and, by parsing, comments) left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def formula_violations(sources: dict[str, str]) -> tuple[list[str], list[str]]:
    """Return (copies outside a formula's home, formulas missing from their home)."""
    copies, missing = [], []
    for what, pattern, homes in FORMULAS:
        found_at_home = False
        for name, code in sources.items():
            hits = list(re.finditer(pattern, code))
            if not hits:
                continue
            if name in homes:
                found_at_home = True
                continue
            line = code.splitlines()[code[: hits[0].start()].count("\n")].strip()
            copies.append(f"{what}: {name}: {line[:100]}")
        if not found_at_home:
            missing.append(f"{what}: pattern {pattern!r} not found in {', '.join(homes)}")
    return copies, missing


def _sources() -> dict[str, str]:
    out = {str(p.relative_to(LIBRARY)): _code(p) for p in sorted(LIBRARY.rglob("*.py"))}
    out |= {f"app/{p.relative_to(APP)}": _code(p) for p in sorted(APP.rglob("*.py"))}
    return out


def test_every_formula_has_one_home():
    copies, missing = formula_violations(_sources())
    assert not copies, "a formula is written outside its home:\n" + "\n".join(copies)
    assert not missing, "a formula's home no longer matches its pattern:\n" + "\n".join(missing)


def test_the_scan_finds_a_copy_of_a_formula():
    home = _code(LIBRARY / "engine" / "value.py")
    copy = (
        "def value(t, h):\n"
        "    s = 1.0 - h\n"
        "    return t['J'] + t['S'] * (s * (1.0 - s ** t['M']) / h)\n"
        "def blend(v, w, m):\n"
        "    return (1.0 - m) * v + m * w\n"
    )
    copies, _ = formula_violations({"engine/value.py": home, "tariffs/fast.py": _code_of(copy)})
    found = "\n".join(copies)
    assert "geometric sum" in found and "outcome value" in found and "mission blend" in found


def _code_of(text: str) -> str:
    return ast.unparse(ast.parse(text))


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a dev dependency (pyproject.toml)"
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.lower() or "0 broken" in proc.stdout.lower()


def _function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            names = []
            if isinstance(sub, ast.ImportFrom) and sub.module:
                names = [sub.module]
            elif isinstance(sub, ast.Import):
                names = [a.name for a in sub.names]
            found += [
                f"{path.relative_to(ROOT)}:{sub.lineno}: {n}"
                for n in names
                if n == "pbr_fairness" or n.startswith("pbr_fairness.")
            ]
    return sorted(set(found))


def test_library_modules_import_each_other_at_the_top():
    # The command line is the one exception: its subcommands load the scientific stack only
    # when they run, so that `pbr-fairness --help` and `validate` start in a second.
    hidden = [
        f
        for p in sorted(LIBRARY.rglob("*.py"))
        if "cli" not in p.relative_to(LIBRARY).parts
        for f in _function_level_imports(p)
    ]
    assert not hidden, "function-level imports between library modules:\n" + "\n".join(hidden)


_CITED = re.compile(r"(?<![\w/.-])((?:docs|data|models|scripts|examples|benchmarks)/[\w./-]+\.\w+"
                    r"|[A-Z]+\.md)\b")


#: Files that docstrings name and that are made on the user's machine, not shipped.
GENERATED = {"data/synthetic/default_caseload.parquet"}  # written by `make prepare`


def test_docstrings_cite_only_files_in_the_repository():
    missing = []
    for p in sorted(LIBRARY.rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            doc = (
                ast.get_docstring(node)
                if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
                else None
            )
            for cited in _CITED.findall(doc or ""):
                if cited in GENERATED:
                    continue
                if not (ROOT / cited).exists() and not (LIBRARY / cited).exists():
                    missing.append(f"{p.relative_to(ROOT)}: {cited}")
    assert not missing, "docstrings cite files that are not in the repository:\n" + "\n".join(
        sorted(set(missing))
    )


@pytest.mark.parametrize("module", ["engine"])
def test_the_engine_needs_no_pandas(module):
    # The engine's inputs are arrays: nothing in it imports pandas (doctests may).
    for p in (LIBRARY / module).rglob("*.py"):
        code = _code(p)
        assert "import pandas" not in code and "from pandas" not in code, p
