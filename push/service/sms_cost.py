"""What an urgent notice's SMS costs: its text as the gateway renders it, counted in parts.

A Chinese SMS (UCS-2) carries 70 characters; a longer one is sent in parts of 67 (the rest
holds the concatenation header), and each part is billed. The gateway counts the signature
(【掌上办】) with the text, and characters as UTF-16 units (an emoji counts two).
"""

from __future__ import annotations

SINGLE = 70
PART = 67

# The text of the notice template registered at the gateway (SmsSettings.notice_template),
# rendered with the notice's title and body; kept here to count what will be billed.
NOTICE_TEXT = "{title}：{body}"


def notice_sms_text(sign_name: str, title: str, body: str) -> str:
    return f"【{sign_name}】" + NOTICE_TEXT.format(title=title, body=body)


def sms_parts(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    if units <= SINGLE:
        return 1
    return -(-units // PART)


def sms_cost_fen(recipients: int, parts: int, price_fen: int) -> int:
    return recipients * parts * price_fen
