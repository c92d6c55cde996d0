"""Demo content of accounts: the staff of Tuyên Quang who sign in to the demo.

Written for the demo by the project (names are invented)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from danvan.accounts.models import User
from danvan.accounts.staff import do_create_user
from danvan.kernel.settings import Settings

PASSWORD = "danvan-demo"  # noqa: S105 (demo only; printed at start)

# email, full name, role, communes
STAFF: list[tuple[str, str, str, list[int]]] = [
    ("admin@demo.danvan.vn", "Hoàng Thị Lan (Ban Tuyên giáo và Dân vận)", "admin", []),
    ("minhquang@demo.danvan.vn", "Nguyễn Văn An", "officer", [2302, 2305]),
    ("minhquang2@demo.danvan.vn", "Trần Thị Bình", "officer", [2302]),
    ("thuonglam@demo.danvan.vn", "Phạm Văn Cường", "officer", [2269, 2266]),
    ("xem@demo.danvan.vn", "Lê Thu Hà", "viewer", [2302, 2269]),
]


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Create the demo staff; `users` receives them by e-mail, for the areas seeded after."""
    for email, name, role, communes in STAFF:
        users[email] = do_create_user(
            session,
            actor=None,
            email=email,
            password=PASSWORD,
            role=role,
            communes=communes,
            full_name=name,
        )


def logins() -> list[tuple[str, str, str]]:
    """(email, password, role) of the demo logins, to print at start."""
    return [(email, PASSWORD, role) for email, _name, role, _communes in STAFF]
