"""What every rendering of a `Situation` shares: number formats, the charts (PNG drawn by
matplotlib, Agg backend, no display, no network), the tables and the overview's prose. The files
are written by `render_docs` (DOCX and PDF in the official layout of Decree 30/2020, printable
HTML) and `render_sheets` (XLSX), through `RENDERERS` in `opinion/report.py`."""

from __future__ import annotations

import io

from danvan.kernel import numbers
from danvan.opinion.situation import ESTIMATE, NOT_COMPUTED, Situation

SUPPRESSED = "<5"  # a count under 5, hidden: None in the figures, and nothing else


def num(value: int | float | None) -> str:
    if value is None:
        return SUPPRESSED
    return numbers.number(value)


def pct(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return NOT_COMPUTED
    return numbers.percent(value, signed=signed)


def pts(value: float | None) -> str:
    if value is None:
        return NOT_COMPUTED
    return numbers.points(value) + " điểm %"


# --- Charts -----------------------------------------------------------------------------------


def _figure() -> tuple[object, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "DejaVu Sans"
    return plt.subplots(figsize=(6.4, 3.2), dpi=120)


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(buffer, format="png")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def concerns_chart(situation: Situation) -> bytes:
    fig, ax = _figure()
    rows = [c for c in situation.concerns if c.count is not None][::-1]
    ax.barh([c.name for c in rows], [c.count or 0 for c in rows], color="#1d4ed8")  # type: ignore[attr-defined]
    ax.set_xlabel("Số ý kiến")  # type: ignore[attr-defined]
    ax.set_title("Những vấn đề được quan tâm nhiều nhất")  # type: ignore[attr-defined]
    return _png(fig)


def daily_chart(situation: Situation) -> bytes:
    fig, ax = _figure()
    days = [d.day for d, _n in situation.daily]
    ax.plot(days, [n or 0 for _d, n in situation.daily], color="#b91c1c", marker="o", markersize=3)  # type: ignore[attr-defined]
    ax.set_xlabel(f"Ngày ({situation.period.label})")  # type: ignore[attr-defined]
    ax.set_ylabel("Số ý kiến")  # type: ignore[attr-defined]
    ax.set_title("Số ý kiến theo ngày")  # type: ignore[attr-defined]
    ax.grid(alpha=0.3)  # type: ignore[attr-defined]
    return _png(fig)


# --- Tables shared by every format ------------------------------------------------------------

Cell = str | int | float | None
Table = tuple[str, list[str], list[list[Cell]]]


def _kinds_and_channels(s: Situation) -> list[list[Cell]]:
    """Kinds are the model's labels (estimates); channels are counted."""
    rows: list[list[Cell]] = [[f"{name} ({ESTIMATE})", n] for name, n in s.kinds]
    return rows + [[name, n] for name, n in s.channels]


def tables(s: Situation) -> list[Table]:
    """(title, header, rows) of every table, in report order; numbers stay numbers (None is a
    suppressed count)."""
    return [
        (
            "Tổng quan",
            ["Chỉ tiêu", s.period.label, s.previous.label, "Thay đổi (%)"],
            [[label, n, p, signed(ch)] for label, n, p, ch in s.overview],
        ),
        (
            "Mối quan tâm",
            [
                "Lĩnh vực",
                f"Số ý kiến ({ESTIMATE})",
                f"Kỳ trước ({s.previous.label})",
                "Thay đổi (%)",
                f"Tiêu cực ({ESTIMATE})",
            ],
            [[c.name, c.count, c.previous, signed(c.change), c.negative] for c in s.concerns],
        ),
        (
            "Theo xã",
            [
                "Xã, phường",
                "Số ý kiến",
                f"Tiêu cực ({ESTIMATE})",
                f"Khẩn cấp ({ESTIMATE})",
                f"Lĩnh vực nhiều nhất ({ESTIMATE})",
            ],
            [[r.name, r.total, r.negative, r.urgent, r.top_topic] for r in s.communes],
        ),
        (
            "Tâm trạng",
            [
                "Sắc thái",
                f"Số ý kiến ({ESTIMATE})",
                "Tỷ lệ (%)",
                "Kỳ trước",
                "Tỷ lệ kỳ trước (%)",
                "Chênh lệch (điểm %)",
            ],
            [
                [r.name, r.count, rate(r.share), r.previous, rate(r.previous_share), rate(r.shift)]
                for r in s.sentiments
            ],
        ),
        (
            "Loại ý kiến, kênh",
            ["Loại / kênh", "Số ý kiến"],
            _kinds_and_channels(s),
        ),
        (
            "Vấn đề mới nổi",
            [
                "Vấn đề",
                "Xã, phường",
                "Lĩnh vực",
                "Số tin nhắn",
                "Từ ngày",
                "Đến ngày",
                "Tăng đột biến",
            ],
            [
                [
                    i.label,
                    i.commune,
                    i.topic,
                    i.messages,
                    f"{i.first_seen:%d/%m/%Y}",
                    f"{i.last_seen:%d/%m/%Y}",
                    "Có" if i.spiking else "",
                ]
                for i in s.issues
            ],
        ),
        (
            "Ý kiến tiêu biểu",
            ["Lĩnh vực", "Xã, phường", "Ngày", "Nội dung (đã che thông tin cá nhân)"],
            [[q.topic, q.commune, f"{q.day:%d/%m/%Y}", q.text] for q in s.quotes],
        ),
        (
            "Phản ánh, kiến nghị",
            ["Xã, phường", "Tiếp nhận", "Đã trả lời", "Đúng hạn", "Đang xử lý", "Quá hạn"],
            [
                [
                    r["name"],
                    r.get("received"),
                    r.get("answered"),
                    r.get("answered_on_time"),
                    r.get("open"),
                    r.get("overdue"),
                ]
                for r in s.case_rows
            ],
        ),
        ("Theo ngày", ["Ngày", "Số ý kiến"], [[f"{d:%d/%m/%Y}", n] for d, n in s.daily]),
    ]


class Signed(float):
    """A change, shown with its sign ("+12,5")."""


def signed(value: float | None) -> Signed | str:
    """A change; "—" when there is none to give (no earlier figure, or too small a base)."""
    return NOT_COMPUTED if value is None else Signed(value)


def rate(value: float | None) -> float | str:
    """A share or a difference of shares; "—" when it has no base (never "<5": not a count)."""
    return NOT_COMPUTED if value is None else value


def cell_text(value: str | int | float | None) -> str:
    if isinstance(value, Signed):
        return numbers.points(value)
    return value if isinstance(value, str) else num(value)


SECTIONS = [
    ("I. TỔNG QUAN", "Tổng quan"),
    ("II. NHỮNG VẤN ĐỀ NỔI BẬT ĐƯỢC NHÂN DÂN QUAN TÂM", "Mối quan tâm"),
    ("III. TÌNH HÌNH THEO XÃ, PHƯỜNG", "Theo xã"),
    ("IV. CHUYỂN BIẾN TÂM TRẠNG XÃ HỘI", "Tâm trạng"),
    ("V. VẤN ĐỀ MỚI NỔI", "Vấn đề mới nổi"),
    ("VI. Ý KIẾN TIÊU BIỂU CỦA NHÂN DÂN", "Ý kiến tiêu biểu"),
    ("VII. TIẾP NHẬN VÀ GIẢI QUYẾT PHẢN ÁNH, KIẾN NGHỊ", "Phản ánh, kiến nghị"),
]


def summary(s: Situation) -> list[str]:
    """The prose of the overview section."""
    total, before, change = s.overview[0][1], s.overview[0][2], s.overview[0][3]
    if change is not None:
        compared = f" ({pct(change, signed=True)} so với {s.previous.label})."
    elif isinstance(before, int):  # too few before for a percentage: the count says it
        compared = f" (so với {num(before)} trong {s.previous.label})."
    else:
        compared = "."
    lines = [
        f"Trong {s.period.label}, phạm vi {s.scope_name} tiếp nhận {num(total)} ý kiến, tin nhắn "
        f"của Nhân dân qua các kênh Zalo và cổng góp ý{compared}"
    ]
    if s.concerns:
        top = ", ".join(c.name.lower() for c in s.concerns[:3])
        lines.append(f"Các lĩnh vực được quan tâm nhiều nhất: {top}.")
    negative = next((r for r in s.sentiments if r.name == "Tiêu cực"), None)
    if negative is not None and negative.share is not None:
        lines.append(
            f"Ý kiến mang sắc thái tiêu cực chiếm {pct(negative.share)}"
            + (f" ({pts(negative.shift)} so với kỳ trước)." if negative.shift is not None else ".")
        )
    if s.suppressed:
        lines.append("Các số liệu dưới 5 được ẩn (ghi “<5”) để bảo vệ thông tin cá nhân.")
    return lines + s.notes
