import pytest

from yizheng.core.text import chinese_numeral


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (6, "六"),
        (10, "十"),
        (13, "十三"),
        (20, "二十"),
        (36, "三十六"),
        (100, "一百"),
        (105, "一百零五"),
        (119, "一百一十九"),
    ],
)
def test_chinese_numeral(n, text):
    assert chinese_numeral(n) == text
