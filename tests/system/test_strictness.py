"""Every strictness check of the decoder is pinned by a vector: switch any one off and a vector fails.

A bounded mutation run: in the modules that read a seal or a trust list, every ``if`` that refuses
(raises, or returns a problem or nothing) is switched off — the whole condition, and each operand of an
``or`` on its own — and the published vectors are run through the mutated library. A mutant no vector
notices is a check no implementer is held to; the few that cannot be noticed are listed with why.
"""

from __future__ import annotations

import ast
import copy
import json
import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.import_graph import PACKAGE, graph, reachable

VECTORS = PACKAGE.parent / "tests" / "vectors"
DOCUMENT = json.loads((VECTORS / "vectors.json").read_text("utf-8"))
# The verification path: the functions that read a link, an envelope, claims or a trust list (the
# issuing half of these modules is left alone; it is held to the vectors by being their generator).
MUTATED = {
    "verifier.seal.base32": {"decode"},
    "verifier.seal.cborread": {"loads", "argument", "item"},
    "verifier.seal.cose": {"decode_text", "decode_segment", "decode_cose", "_read_exact_layout", "_read_any_cbor",
                      "_read_protected"},
    "verifier.seal.claims": {"claims_from_cbor", "_product", "_exemption", "_keys", "_texts", "_int", "_text", "_array",
                        "_code", "_day"},
    "verifier.certificate.codes": {"credit_code_problem", "hs_code_from_int", "locode_problem"},
    "verifier.verification.check": {"_verify", "_check_seal", "_check_validity", "_check_registry", "validity_state"},
    "verifier.trust.trustlist": {"from_document", "check_current", "__post_init__"},
    "verifier.trust.listwire": {"parse_document", "to_record", "content", "_with", "check", "_once", "_exact_origin",
                                "_moment"},
    "verifier.seal.recognition": {"recognition_from_cbor"},
    "verifier.verification.recognition": {"_check"},
    "verifier.trust.keys": {"from_b64url", "public_from_raw", "signs_at"},
    "verifier.origins": {"check_public_url"},
}  # fmt: skip
# Mutants no vector can notice, and why. Each check here is kept: it gives the precise reason in the
# detail, or bounds the work a stranger's bytes cost, though another check reaches the same verdict.
SAME_VERDICT_LATER = "a later check refuses the same input with the same verdict and reason"
RESOURCE_BOUND = "a bound on time and memory; the layout checks refuse anything that large or deep anyway"
EQUIVALENT = {
    "verifier.seal.cborread:argument: if end > len(data)": SAME_VERDICT_LATER + " (the length checks: bad_cbor)",
    "verifier.seal.cborread:item: if major >= 6": SAME_VERDICT_LATER + " (a tag or float breaks the layout)",
    "verifier.seal.cborread:item: if depth >= self.max_depth": RESOURCE_BOUND,
    "verifier.seal.cborread:item: if argument > self.max_items": RESOURCE_BOUND,
    "verifier.seal.cborread:item: if argument > len(data) - self.pos": RESOURCE_BOUND,
    "verifier.seal.cborread:item: if end > len(data)": SAME_VERDICT_LATER + " (nothing may follow the item)",
    "verifier.seal.cborread:item: if start < len(data) and data[start] >> 5 not in (0, 1, 3)":
        SAME_VERDICT_LATER + " (claims keys and header labels are compared with exact sets)",
    "verifier.seal.cose:decode_text: if not separator or kind.upper() != link_path or (not slash) or "
    "(f'{scheme}://{authority}' not in origins)": SAME_VERDICT_LATER + " (the other operands: not_a_certificate_url)",
    "verifier.seal.cose:decode_segment: if len(segment) > MAX_TEXT_LENGTH": "the /c/{code} path's own cap; a text is "
        "capped before its segment is cut out",
    "verifier.seal.cose:decode_segment: if not segment.isascii()": "the /c/{code} path's own check; a text is checked "
        "whole before",
    "verifier.seal.cose:decode_segment: if body != body.upper()": SAME_VERDICT_LATER + " (lower case is outside the "
        "base32 alphabet: bad_encoding, at the base32 stage instead of the link's)",
    "verifier.seal.cose:_read_exact_layout: if not data.startswith(_LAYOUT_HEAD) or len(data) < 84 or data[16] != 160":
        "the fast path's later checks refuse the same bytes, and the slow path then says why",
    "verifier.seal.cose:_read_any_cbor: if type(body) is not list or len(body) != 4": SAME_VERDICT_LATER + " (a map of "
        "four gives keys of the wrong types: bad_cose)",
    "verifier.seal.claims:_array: if type(value) is not list or not low <= len(value) <= high": SAME_VERDICT_LATER
        + " (what a string or bytes hold breaks the shape that follows)",
    "verifier.seal.claims:_code: if type(value) is not int or value not in table": SAME_VERDICT_LATER
        + " (the tables are keyed by integers)",
    "verifier.certificate.codes:credit_code_problem: if len(code) != 18": SAME_VERDICT_LATER
        + " (the shape is 18 characters)",
    "verifier.trust.trustlist:from_document: if len(data) > MAX_DOCUMENT_BYTES": RESOURCE_BOUND,
    "verifier.verification.recognition:_check: if held is None or held[1].withdrawn_at is not None": "its second "
        "operand: the published trust list leaves a withdrawn key out (the withdrawn-key vector); the service's own "
        "list keeps it, marked, for its online checks",
    "verifier.trust.trustlist:__post_init__: if both is not None and (both.keys != body.keys or "
    "both.info.name_en != body.name_en)": "a party with both roles is read from one entry, one name and one set of "
        "keys: the check guards lists built in code",
    "verifier.trust.keys:public_from_raw: if len(raw) != 32": SAME_VERDICT_LATER + " (x is 43 characters: 32 bytes)",
    "verifier.trust.keys:from_b64url: if not re.fullmatch('[A-Za-z0-9_-]*', text)": SAME_VERDICT_LATER
        + " (the round trip refuses padding and other alphabets)",
}  # fmt: skip


def _refuses(node: ast.If, function: str) -> bool:
    """Whether the ``if`` refuses: it raises, returns nothing (no such code), or names a problem."""
    first = node.body[0]
    if isinstance(first, ast.Raise):
        return True
    if isinstance(first, ast.Return) and first.value is not None:
        value = first.value
        if isinstance(value, ast.Constant) and value.value is None:
            return True
        return function.endswith("_problem") and isinstance(value, ast.Constant | ast.JoinedStr)
    return False


def _function_of(tree: ast.Module) -> dict[int, str]:
    owner: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                owner.setdefault(id(inner), node.name)
    return owner


def mutants(module: str) -> Iterator[tuple[str, ast.Module]]:
    """(label, mutated tree) for every refusing ``if`` of ``module``: off whole, and each ``or`` operand off."""
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text("utf-8"))
    owner = _function_of(tree)
    wanted = MUTATED[module]
    targets = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.If) and owner.get(id(n)) in wanted and _refuses(n, owner[id(n)])
    ]  # fmt: skip
    for target in targets:
        label = f"{module}:{owner.get(id(target), '<module>')}: if {ast.unparse(target.test)}"
        operands = (
            target.test.values if isinstance(target.test, ast.BoolOp) and isinstance(target.test.op, ast.Or) else []
        )
        changes: list[tuple[str, Any]] = [(label, None)]
        changes += [(f"{label} [without operand {i + 1}]", i) for i in range(len(operands))]
        for name, drop in changes:
            mutated = copy.deepcopy(tree)
            node = next(
                n for n in ast.walk(mutated)
                if isinstance(n, ast.If) and (n.lineno, n.col_offset) == (target.lineno, target.col_offset)
            )  # fmt: skip
            if drop is None:
                node.test = ast.Constant(False)
            else:
                assert isinstance(node.test, ast.BoolOp)
                node.test.values.pop(drop)
                if len(node.test.values) == 1:
                    node.test = node.test.values[0]
            yield name, ast.fix_missing_locations(mutated)


def _run_vectors(check: Any, trust: Any, keys: Any, recognition: Any = None) -> list[str]:
    """The names of the vectors the (possibly mutated) library gets wrong."""
    verdict = sys.modules["verifier.verdict"]
    operator = keys.load_public_key_pem((VECTORS / "operator.pub.pem").read_bytes())
    wrong = []
    try:
        trust_list = trust.TrustList.from_document((VECTORS / "trust-list.json").read_bytes(), [operator])
    except Exception:  # noqa: BLE001 - a mutant may break the published list itself: every vector fails
        return ["(the published trust list)"]
    for case in DOCUMENT["cases"]:
        at = datetime.fromisoformat(case["at"])
        try:
            if case["input"] == "cose":
                result = check.verify_cose(bytes.fromhex(case["cose"]), trust_list, at)
            else:
                result = check.verify(case["qr"], trust_list, at)
            got = (result.verdict.value, result.reason.value, result.signature.valid)
        except Exception as exc:  # noqa: BLE001 - a mutant that crashes is noticed
            got = ("crashed", type(exc).__name__, None)
        expected = case["expected"]
        if got != (expected["verdict"], expected["reason"], expected["signature_valid"]):
            wrong.append(case["name"])
    for case in DOCUMENT["online_cases"]:
        state = case["registry"] and case["registry"]["state"]

        def lookup(cose: bytes, state: Any = state) -> Any:
            return None if state is None else verdict.RegistryEntry("v", {}, verdict.StatusState(state), None, None)

        try:
            result = check.verify(case["qr"], trust_list, datetime.fromisoformat(case["at"]), lookup)
            got = (result.verdict.value, result.reason.value)
        except Exception as exc:  # noqa: BLE001 - a mutant that crashes is noticed
            got = ("crashed", type(exc).__name__)
        if got != (case["expected"]["verdict"], case["expected"]["reason"]):
            wrong.append(case["name"])
    for case in DOCUMENT["trust_lists"]:
        try:
            listed = trust.TrustList.from_document(case["document"].encode("utf-8"), [operator])
            age = timedelta(days=case["max_age_days"])
            trust.check_current(listed, datetime.fromisoformat(case["at"]), age, case["highest_seen"])
            answer = "accepted"
        except Exception:  # noqa: BLE001 - a refusal, whichever error says so
            answer = "refused"
        if answer != case["expected"]:
            wrong.append(case["name"])
    if recognition is not None:
        wrong += _run_recognition_vectors(recognition, trust, operator, verdict)
    return wrong


def _run_recognition_vectors(recognition: Any, trust: Any, operator: Any, verdict: Any) -> list[str]:
    claims = sys.modules["verifier.seal.claims"]
    cose = sys.modules["verifier.seal.cose"]
    wrong = []
    for case in DOCUMENT["recognition_cases"]:
        try:
            listed = trust.TrustList.from_document(case["trust_list"].encode("utf-8"), [operator])
            base_cose = bytes.fromhex(case["base_cose"])
            base = claims.claims_from_cbor(cose.decode_cose(base_cose).payload)
            status = verdict.StatusState(case["status"]) if case["status"] else None
            result = recognition.check_recognition(bytes.fromhex(case["recognition"]), base_cose, base,
                                                   verdict.Verdict(case["base_verdict"]), listed.recognisers,
                                                   datetime.fromisoformat(case["at"]), status)  # fmt: skip
            got = (result.verdict.value, result.reason.value)
        except Exception as exc:  # noqa: BLE001 - a mutant that crashes is noticed
            got = ("crashed", type(exc).__name__)
        if got != (case["expected"]["verdict"], case["expected"]["reason"]):
            wrong.append(case["name"])
    return wrong


def _with_mutant(module: str, tree: ast.Module) -> list[str]:
    """Load ``tree`` as ``module`` with fresh copies of everything that imports it; run the vectors; restore."""
    edges = graph()
    dependents = {m for m in edges if module in reachable(edges, m)} | {module}
    saved = {name: sys.modules[name] for name in dependents if name in sys.modules}
    for name in dependents:
        sys.modules.pop(name, None)
    try:
        fresh = types.ModuleType(module)
        fresh.__file__ = str(PACKAGE.parent / (module.replace(".", "/") + ".py"))
        fresh.__package__ = module.rpartition(".")[0]
        sys.modules[module] = fresh
        exec(compile(tree, fresh.__file__, "exec"), fresh.__dict__)
        check = __import__("verifier.verification.check", fromlist=["verify"])
        trust = __import__("verifier.trust.trustlist", fromlist=["TrustList"])
        keys = __import__("verifier.trust.keys", fromlist=["load_public_key_pem"])
        recognition = __import__("verifier.verification.recognition", fromlist=["check_recognition"])
        return _run_vectors(check, trust, keys, recognition)
    finally:
        for name in dependents:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


ALL = [(module, label, tree) for module in MUTATED for label, tree in mutants(module)]


def test_the_run_is_not_empty() -> None:
    assert len(ALL) > 100
    assert {m for m, _, _ in ALL} == set(MUTATED)


def test_the_vectors_pass_unmutated() -> None:
    import verifier.trust.keys
    import verifier.trust.trustlist
    import verifier.verification.check
    import verifier.verification.recognition

    assert _run_vectors(verifier.verification.check, verifier.trust.trustlist, verifier.trust.keys,
                        verifier.verification.recognition) == []  # fmt: skip


@pytest.mark.parametrize("module", MUTATED)
def test_no_strictness_check_can_be_switched_off_unnoticed(module: str) -> None:
    survivors = [label for m, label, tree in ALL if m == module and not _with_mutant(m, tree)]
    unexplained = [label for label in survivors if label.split(" [")[0] not in EQUIVALENT]
    assert not unexplained, "switched off, and no vector noticed:\n" + "\n".join(unexplained)


def test_the_equivalent_mutants_still_exist() -> None:
    labels = {label.split(" [")[0] for _, label, _ in ALL}
    assert labels >= set(EQUIVALENT)
