"""The FastAPI reference: the part of Ticked's API that the benchmarks drive, written the
way the FastAPI + React stack that Ticked replaces writes it (FastAPI with Pydantic models,
SQLAlchemy 2 ORM sessions, PyJWT, pyca/bcrypt, served by uvicorn with one worker process
per core). `ticked-bench` runs the same scenarios against it and against Ticked.

It does the same work per request as Ticked: HS256 access tokens with the same claims,
a session row looked up on every authenticated request (so revocation is immediate),
passwords as bcrypt of an HMAC of the password, and the same queries (a keyset page
ordered by creation time plus the per-status counts). It is not a second implementation
of API.md: only what the scenarios call, with the same status codes.

    python app.py                          creates the tables (run once, before uvicorn)
    uvicorn app:app --workers N ...        serves it

Settings come from the environment: DATABASE_URL (SQLAlchemy URL), JWT_ACCESS_SECRET,
JWT_REFRESH_SECRET, PASSWORD_PEPPER, BCRYPT_COST, ACCESS_TOKEN_TTL_SECONDS.
"""

import base64
import datetime as dt
import hashlib
import hmac
import os
import uuid
from typing import Annotated, Optional

import bcrypt
import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, field_validator
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    and_,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DATABASE_URL = os.environ["DATABASE_URL"]
ACCESS_SECRET = os.environ["JWT_ACCESS_SECRET"]
REFRESH_SECRET = os.environ["JWT_REFRESH_SECRET"]
PEPPER = os.environ["PASSWORD_PEPPER"].encode()
BCRYPT_COST = int(os.environ.get("BCRYPT_COST", "12"))
ACCESS_TTL = dt.timedelta(seconds=int(os.environ.get("ACCESS_TOKEN_TTL_SECONDS", "900")))
REFRESH_TTL = dt.timedelta(days=14)

engine = create_engine(DATABASE_URL, pool_size=8, max_overflow=8, pool_pre_ping=False)
if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection, _record):
        # The same settings as Ticked's SQLite: WAL, NORMAL sync, queue writers.
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


SessionLocal = sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String, unique=True)
    password_hash: Mapped[str] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    refresh_jti: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class Todo(Base):
    __tablename__ = "todos"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String)
    completed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index("idx_todos_user_created", "user_id", "created_at", "id"),
        Index("idx_todos_user_completed_created", "user_id", "completed", "created_at", "id"),
    )


def get_db():
    with SessionLocal() as db:
        yield db


Db = Annotated[Session, Depends(get_db)]


# --- passwords and tokens ---------------------------------------------------------------


def prehash(password: str) -> bytes:
    return base64.b64encode(hmac.new(PEPPER, password.encode(), hashlib.sha256).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(prehash(password), bcrypt.gensalt(BCRYPT_COST)).decode()


DUMMY_HASH = hash_password(str(uuid.uuid4()))


def verify_password(password: str, hashed: str) -> bool:
    return bcrypt.checkpw(prehash(password), hashed.encode())


def token(secret: str, kind: str, user: str, session: str, jti: str, ttl: dt.timedelta) -> str:
    issued = now()
    claims = {
        "sub": user,
        "sid": session,
        "jti": jti,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "iss": "ticked",
        "aud": "ticked",
        "typ": kind,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


bearer = HTTPBearer(auto_error=False)


def unauthorized(description: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=description,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def current_user(
    db: Db, credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)]
) -> str:
    if credentials is None:
        raise unauthorized("missing token")
    try:
        claims = jwt.decode(
            credentials.credentials,
            ACCESS_SECRET,
            algorithms=["HS256"],
            audience="ticked",
            issuer="ticked",
            leeway=5,
            options={"require": ["exp", "sub", "sid", "jti"]},
        )
    except jwt.PyJWTError:
        raise unauthorized("invalid token")
    if claims.get("typ") != "access":
        raise unauthorized("not an access token")
    live = db.scalar(
        select(LoginSession.id).where(
            LoginSession.id == claims["sid"],
            LoginSession.user_id == claims["sub"],
            LoginSession.revoked_at.is_(None),
        )
    )
    if live is None:
        raise unauthorized("session revoked")
    return claims["sub"]


CurrentUser = Annotated[str, Depends(current_user)]


# --- the API ----------------------------------------------------------------------------


class Credentials(BaseModel):
    email: str
    password: str


class UserOut(BaseModel):
    id: str
    email: str
    created_at: dt.datetime


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_expires_in: int


class TodoIn(BaseModel):
    title: str
    completed: bool = False

    @field_validator("title")
    @classmethod
    def title_is_a_title(cls, title: str) -> str:
        title = title.strip()
        if not 1 <= len(title) <= 500 or any(ord(c) < 32 for c in title):
            raise ValueError("title: 1 to 500 characters, no control characters")
        return title


class TodoPatch(BaseModel):
    title: Optional[str] = None
    completed: Optional[bool] = None


class TodoOut(BaseModel):
    id: str
    title: str
    completed: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    model_config = {"from_attributes": True}


class TodoList(BaseModel):
    items: list[TodoOut]
    active_count: int
    completed_count: int
    next_cursor: Optional[str]


app = FastAPI(title="Ticked's FastAPI reference")


@app.get("/readyz")
def readyz(db: Db) -> dict:
    db.execute(text("SELECT 1"))
    return {"status": "ready"}


@app.post("/api/v1/users", status_code=201)
def sign_up(body: Credentials, db: Db) -> UserOut:
    email = body.email.strip().lower()
    if "@" not in email or not 8 <= len(body.password) <= 128:
        raise HTTPException(422, "email or password is invalid")
    user = User(id=str(uuid.uuid4()), email=email, password_hash=hash_password(body.password), created_at=now())
    db.add(user)
    try:
        db.commit()
    except IntegrityError:
        raise HTTPException(409, "that email is taken")
    return UserOut(id=user.id, email=user.email, created_at=user.created_at)


@app.post("/api/v1/login")
def login(body: Credentials, db: Db) -> TokenPair:
    user = db.scalar(select(User).where(User.email == body.email.strip().lower()))
    if user is None:
        verify_password(body.password, DUMMY_HASH)
        raise HTTPException(401, "wrong email or password", headers={"WWW-Authenticate": "Bearer"})
    if not verify_password(body.password, user.password_hash):
        raise HTTPException(401, "wrong email or password", headers={"WWW-Authenticate": "Bearer"})
    session = LoginSession(
        id=str(uuid.uuid4()), user_id=user.id, refresh_jti=str(uuid.uuid4()), created_at=now(), last_used_at=now()
    )
    db.add(session)
    db.commit()
    return TokenPair(
        access_token=token(ACCESS_SECRET, "access", user.id, session.id, str(uuid.uuid4()), ACCESS_TTL),
        refresh_token=token(REFRESH_SECRET, "refresh", user.id, session.id, session.refresh_jti, REFRESH_TTL),
        expires_in=int(ACCESS_TTL.total_seconds()),
        refresh_expires_in=int(REFRESH_TTL.total_seconds()),
    )


@app.get("/api/v1/users/me")
def me(user_id: CurrentUser, db: Db) -> UserOut:
    user = db.get(User, user_id)
    if user is None:
        raise unauthorized("no such user")
    return UserOut(id=user.id, email=user.email, created_at=user.created_at)


@app.get("/api/v1/todos")
def list_todos(
    user_id: CurrentUser,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    cursor: Optional[str] = None,
) -> TodoList:
    query = select(Todo).where(Todo.user_id == user_id)
    if cursor is not None:
        try:
            created, todo_id = base64.urlsafe_b64decode(cursor + "==").decode().split("|")
            created_at = dt.datetime.fromisoformat(created)
        except ValueError:
            raise HTTPException(422, "cursor: not a cursor this API returned")
        query = query.where(
            or_(Todo.created_at > created_at, and_(Todo.created_at == created_at, Todo.id > todo_id))
        )
    rows = list(db.scalars(query.order_by(Todo.created_at, Todo.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode().rstrip("=")
    counts = dict(
        db.execute(select(Todo.completed, func.count(Todo.id)).where(Todo.user_id == user_id).group_by(Todo.completed)).all()
    )
    return TodoList(
        items=[TodoOut.model_validate(row) for row in rows],
        active_count=counts.get(False, 0),
        completed_count=counts.get(True, 0),
        next_cursor=next_cursor,
    )


@app.post("/api/v1/todos", status_code=201)
def create_todo(body: TodoIn, user_id: CurrentUser, db: Db) -> TodoOut:
    stamp = now()
    todo = Todo(
        id=str(uuid.uuid4()), user_id=user_id, title=body.title, completed=body.completed, created_at=stamp, updated_at=stamp
    )
    db.add(todo)
    db.commit()
    return TodoOut.model_validate(todo)


@app.patch("/api/v1/todos/{todo_id}")
def patch_todo(todo_id: str, body: TodoPatch, user_id: CurrentUser, db: Db) -> TodoOut:
    changes = body.model_dump(exclude_none=True)
    if "title" in changes:
        changes["title"] = TodoIn(title=changes["title"]).title
    if changes:
        changes["updated_at"] = now()
        db.execute(update(Todo).where(Todo.id == todo_id, Todo.user_id == user_id).values(**changes))
        db.commit()
    todo = db.scalar(select(Todo).where(Todo.id == todo_id, Todo.user_id == user_id))
    if todo is None:
        raise HTTPException(404, "no such todo")
    return TodoOut.model_validate(todo)


if __name__ == "__main__":
    Base.metadata.create_all(engine)
