"""The named personas of the test suite: an admin of the province, an officer of commune A and
a colleague, a read-only viewer of A, and an officer of commune B who must see nothing of A.
Made through the core (accounts.staff), each with a personal API token."""

from __future__ import annotations

from dataclasses import dataclass

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.accounts.staff import do_create_token, do_create_user
from danvan.kernel.db import Database

# Communes of Tuyên Quang (province 8) used by the personas.
COMMUNE_A = 2302  # Xã Minh Quang
COMMUNE_B = 2269  # Xã Thượng Lâm
PASSWORD = "correct horse battery"  # noqa: S105 (test accounts only)


@dataclass
class Persona:
    user: User
    token: str
    password: str = PASSWORD

    @property
    def actor(self) -> Actor:
        return Actor(self.user, via="test")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Personas:
    admin: Persona
    officer_a: Persona  # Xã Minh Quang
    colleague_a: Persona  # also Xã Minh Quang
    viewer_a: Persona  # read-only, Xã Minh Quang
    officer_b: Persona  # Xã Thượng Lâm: must see nothing of A


def make_persona(
    database: Database, email: str, role: str, communes: list[int], name: str
) -> Persona:
    with database.session() as session:
        user = do_create_user(
            session,
            actor=None,
            email=email,
            password=PASSWORD,
            role=role,
            communes=communes,
            full_name=name,
        )
        token = do_create_token(session, user=user, name="test")
    return Persona(user=user, token=token)


def make_personas(database: Database) -> Personas:
    """The five personas, in a database that has none of them yet."""
    return Personas(
        admin=make_persona(database, "admin@tq.gov.vn", "admin", [], "Quản trị Tỉnh"),
        officer_a=make_persona(
            database, "an@minhquang.tq.gov.vn", "officer", [COMMUNE_A], "Nguyễn Văn An"
        ),
        colleague_a=make_persona(
            database, "binh@minhquang.tq.gov.vn", "officer", [COMMUNE_A], "Trần Thị Bình"
        ),
        viewer_a=make_persona(
            database, "xem@minhquang.tq.gov.vn", "viewer", [COMMUNE_A], "Lê Văn Xem"
        ),
        officer_b=make_persona(
            database, "cuong@thuonglam.tq.gov.vn", "officer", [COMMUNE_B], "Phạm Văn Cường"
        ),
    )
