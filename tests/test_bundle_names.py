"""Names for ``generate --all``: any set of package paths gives unique, valid, stable labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_core.checks import is_dns1123_label, to_dns1123_label
from gitops_core.naming import package_names
from gitops_core.naming import source_name as _source_name

segment = st.text(
    st.sampled_from("abcXYZ019-_. é/") | st.characters(codec="utf-8"), min_size=1, max_size=40
)
paths = st.lists(segment, max_size=30, unique=True)
reserved = st.sets(st.sampled_from(["shop", "a", "b-c", "kustomization", "p"]), max_size=3)


@given(paths, reserved)
def test_names_are_unique_valid_labels_outside_the_reserved_ones(
    bases: list[str], taken: set[str]
) -> None:
    names = package_names(bases, taken)
    assert len(names) == len(bases)
    assert len(set(names)) == len(names)
    assert all(is_dns1123_label(name) for name in names)
    assert not set(names) & taken


@given(paths, st.randoms(use_true_random=False))
def test_a_name_does_not_depend_on_the_order_of_the_set(bases: list[str], random: object) -> None:
    shuffled = list(bases)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert dict(zip(shuffled, package_names(shuffled), strict=True)) == dict(
        zip(bases, package_names(bases), strict=True)
    )


@given(paths)
def test_a_path_whose_label_is_its_own_keeps_it(bases: list[str]) -> None:
    labels = [to_dns1123_label(basis, 1000) for basis in bases]
    for label, name in zip(labels, package_names(bases), strict=True):
        if label and len(label) <= 63 and labels.count(label) == 1:
            assert name == label


def test_examples() -> None:
    long = "services/payments/" + "x" * 80 + "/overlays/prod"
    names = package_names(["kustomize/overlays/prod", "a/base", "b/base", long, "日本"])
    assert names[0] == "kustomize-overlays-prod"
    assert names[1:3] == ["a-base", "b-base"]
    assert len(names[3]) == 63 and names[3].startswith("services-payments-xxx")
    assert names[4].startswith("p-")  # nothing usable: a hash alone
    # Two paths meeting on one label: both get a hash, neither is favoured.
    met = package_names(["svc_b/base", "svc-b/base"])
    assert all(n.startswith("svc-b-base-") for n in met) and met[0] != met[1]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/acme/shop.git", "shop"),
        ("git@github.com:acme/Shop_Front.git", "shop-front"),
        ("ssh://git@host:2222/acme/shop/", "shop"),
        ("git@host:shop.git", "shop"),
        ("https://host/", "host"),
    ],
)
def test_the_shared_source_is_named_after_the_repository(url: str, name: str) -> None:
    assert _source_name(url) == name
