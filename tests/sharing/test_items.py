"""The items of a shared entry: what a grant masks unless the provider gives an item raw."""

from __future__ import annotations

from quancheng.datastore.masking import MaskRule
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.schema import Column
from quancheng.sharing.items import EntryItems, parse_masking


def roster() -> EntryItems:
    items = [ItemInfo(name="所属区县", data_type="C", sensitivity="public")]
    columns = [
        Column(name="联系人", label="联系人"),
        Column(name="公民身份号码", label="公民身份号码"),
        Column(name="c_3", label="Home address"),
        Column(name="所属区县", label="所属区县", item="所属区县"),
        Column(name="服务时长", label="服务时长"),
    ]
    return EntryItems(items, columns)


def test_a_column_no_data_item_describes_is_masked_by_what_its_header_names() -> None:
    # Regression: such a column was granted raw by default, whatever it held.
    entry = roster()
    granted = entry.resolve(["联系人", "公民身份号码", "Home address", "所属区县", "服务时长"])

    assert entry.default_masks(granted) == {
        "联系人": MaskRule.NAME.value,
        "公民身份号码": MaskRule.ID_NUMBER.value,
        "c_3": MaskRule.ADDRESS.value,
    }
    masks = parse_masking(entry, granted, {"联系人": "raw"})
    assert entry.column_masks(masks) == {
        "公民身份号码": MaskRule.ID_NUMBER,
        "c_3": MaskRule.ADDRESS,
    }
