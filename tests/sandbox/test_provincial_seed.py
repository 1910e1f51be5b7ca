"""The provincial stand-in's seed catalogue: read from its TOML data files and checked on load."""

from __future__ import annotations

import re

import msgspec
import pytest

from sandbox.provincial.codes import uscc
from sandbox.provincial.models import Item
from sandbox.provincial.seed import DATA, SeedError, build_seed, load_seed

CATALOGUE = """
common_form_fields = [
    { key = "reason", label = "申请事由", type = "textarea", max_length = 500 },
]

[regions]
620100 = "西岭省金城市"

[departments.JC_GA]
name = "金城市公安局"
region = "620100"
serial = 11
phone = "0931-8551110"
address = "金城市城关区武都路 350 号"
complaint_phone = "0931-8551000"

[shared_materials.id_card]
name = "{who}居民身份证"
notes = "{who}有效期内的居民身份证正反面。"
licence_types = ["SFZ"]
"""

ITEM = """
[[items]]
code = "GG-00101-001"
name = "居民身份证换领"
department = "JC_GA"
ref = "id_renew"
themes = ["户籍办理"]
legal_basis = ["《中华人民共和国居民身份证法》"]
acceptance_conditions = ["本市户籍居民"]
process = [
    { name = "窗口受理", limit_days = 0, description = "核验身份、采集指纹。" },
    { name = "审核制证", limit_days = 15, description = "审核后制作新证。" },
]
result_type = "证件"
result_name = "中华人民共和国居民身份证"
form_instructions = "如实填写。"
form = [{ key = "pickupStation", label = "领证派出所", type = "text", max_length = 50 }]
templates = ["居民身份证申领登记表"]
annual_volume = 100

[items.fee]
basis = "每证 20 元。"
items = [{ name = "工本费", amount_fen = 2000 }]

[[items.materials]]
shared = "id_card"
who = "父母双方"
required = false

[[items.materials]]
name = "原居民身份证"
notes = "需交回原证。"
formats = ["pdf"]

[[items.faq]]
question = "多久能领证？"
answer = "20 个工作日。"
"""

BUNDLE = """
[[items]]
code = "GG-01401-001"
name = "一件事"
department = "JC_GA"
themes = ["户籍办理"]
legal_basis = ["《优化营商环境条例》"]
acceptance_conditions = ["本市户籍居民"]
process = [{ name = "一表申请", limit_days = 0, description = "一次提交。" }]
result_type = "组合结果"
result_name = "组合结果"
form_instructions = "如实填写。"
form = []
templates = ["申请表"]
annual_volume = 1
bundle = ["id_renew"]

[items.fee]
basis = "不收取费用。"

[[items.materials]]
shared = "id_card"

[[items.faq]]
question = "问"
answer = "答"
"""


def _load(catalogue: str = CATALOGUE, items: str = ITEM) -> list[Item]:
    return load_seed(catalogue.encode(), items.encode())


def test_the_loader_builds_wire_items_from_the_data() -> None:
    [item, bundle] = load_seed(CATALOGUE.encode(), (ITEM + BUNDLE).encode())
    dept_code = uscc("11", "620100", "01390011")
    assert item.code == f"{dept_code}-GG-00101-001" and item.item_type == "GG"
    assert (item.department.code, item.region_name) == (dept_code, "西岭省金城市")
    assert (item.case_type, item.online_level, item.targets) == (
        "promised",
        "online_prereview",
        ["person"],
    )
    shared, own = item.materials
    assert (shared.code, shared.name, shared.notes) == (
        "CL00101001-01",
        "父母双方居民身份证",
        "父母双方有效期内的居民身份证正反面。",
    )
    assert (shared.required, shared.licence_types, shared.formats) == (
        False,
        ["SFZ"],
        ["jpg", "png", "pdf"],
    )
    assert (own.code, own.required, own.formats, own.max_size_kb) == (
        "CL00101001-02",
        True,
        ["pdf"],
        2048,
    )
    assert [s.step for s in item.process] == [1, 2]
    assert item.fee.charged and not bundle.fee.charged
    assert [f.key for f in item.form] == ["pickupStation", "reason"]
    assert item.consultation.phone == "0931-8551110" and item.complaint.phone == "0931-8551000"
    assert bundle.materials[0].name == "申请人居民身份证"
    assert bundle.bundle is not None and bundle.bundle.members == [item.code]
    assert (item.version, bundle.version) == (1, 2)


def test_a_misspelt_key_is_rejected_with_its_place() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"annual_volum.*\$\.items\[0\]"):
        _load(items=ITEM.replace("annual_volume", "annual_volum"))
    with pytest.raises(msgspec.ValidationError, match=r"\$\.items\[0\]\.form\[0\]\.prefill"):
        _load(items=ITEM.replace("max_length = 50", 'prefill = "licence:SFZ"'))


def test_a_name_that_nothing_defines_is_rejected() -> None:
    with pytest.raises(SeedError, match="no department 'JC_XX'"):
        _load(items=ITEM.replace('department = "JC_GA"', 'department = "JC_XX"'))
    with pytest.raises(SeedError, match="no shared material 'id'"):
        _load(items=ITEM.replace('shared = "id_card"', 'shared = "id"'))
    with pytest.raises(SeedError, match="bundle names no item 'id_renew'"):
        _load(items=ITEM.replace('ref = "id_renew"', "") + BUNDLE)


def test_an_own_material_needs_a_name_and_notes() -> None:
    with pytest.raises(SeedError, match="material CL00101001-02 needs a name and notes"):
        _load(items=ITEM.replace('notes = "需交回原证。"', ""))


def test_the_wire_model_checks_the_built_items() -> None:
    bad_key = ITEM.replace('key = "pickupStation"', 'key = "reason"')
    with pytest.raises(ValueError, match="form field keys must be unique"):
        _load(items=bad_key)


def test_the_seed_comes_from_the_packaged_data_files() -> None:
    catalogue = (DATA / "catalogue.toml").read_bytes()
    items = (DATA / "items.toml").read_bytes()
    mongolian = (DATA / "mongolian.toml").read_bytes()
    assert build_seed() == load_seed(catalogue, items, {"mn": mongolian})
    # Chinese and Mongolian text is written as it reads, never as \\u escapes.
    assert "西岭省" in catalogue.decode() and "\\u" not in (catalogue + items + mongolian).decode()


CJK = re.compile("[\u4e00-\u9fff]")
MONGOLIAN_SCRIPT = re.compile("[\u1800-\u18af]")


def test_part_of_the_catalogue_carries_mongolian_text() -> None:
    items = build_seed()
    named = [i for i in items if i.translations.get("mn") and i.translations["mn"].name]
    assert len(named) >= 5
    for item in named:
        text = item.translations["mn"]
        # Real Mongolian script, never Chinese; only what the item has (a step, a material).
        assert MONGOLIAN_SCRIPT.search(text.name or "") and not CJK.search(text.name or "")
        assert {m.code for m in text.materials} <= {m.code for m in item.materials}
        assert {s.step for s in text.process} <= {s.step for s in item.process}
    summarised = [i for i in named if i.translations["mn"].acceptance_conditions]
    assert summarised and all(i.translations["mn"].process for i in summarised)
    # Department and region names reach items whose own name is not translated.
    partial = [i for i in items if i.translations.get("mn") and not i.translations["mn"].name]
    assert partial and all(i.translations["mn"].region_name for i in partial)


def test_a_translation_of_an_unknown_item_is_refused() -> None:
    catalogue = (DATA / "catalogue.toml").read_bytes()
    items = (DATA / "items.toml").read_bytes()
    bad = '[items."GG-99999-001"]\nname = "ᠨᠡᠷ᠎ᠡ"\n'.encode()
    with pytest.raises(SeedError, match="no item"):
        load_seed(catalogue, items, {"mn": bad})


def test_each_build_is_a_fresh_copy() -> None:
    first = build_seed()
    first[0].themes.append("改动")
    first[0].materials.clear()
    again = build_seed()
    assert "改动" not in again[0].themes and again[0].materials
