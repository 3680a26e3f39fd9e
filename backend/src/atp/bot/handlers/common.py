"""Plumbing shared by the handlers: deps, the actor, database calls off the event loop, and
showing a screen (a new message for a command, an in-place edit for a button)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from atp.bot.deps import DEPS_KEY, BotDeps
from atp.bot.menus.screens import Rows, Screen
from atp.db.session import unit_of_work

log = logging.getLogger(__name__)
T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


def get_deps(context: Context) -> BotDeps:
    deps: BotDeps = context.bot_data[DEPS_KEY]
    return deps


def actor_of(update: Update) -> str:
    """The config trail's actor: the Telegram user id (authorization already checked it)."""
    user = update.effective_user
    return str(user.id) if user is not None else "telegram"


async def write(context: Context, action: Callable[[Session, BotDeps], T]) -> T:
    """Run `action` in one unit of work (commit on success, roll back on any error) in a thread:
    the services are synchronous, and the event loop must keep polling meanwhile."""
    deps = get_deps(context)

    def run() -> T:
        with unit_of_work(deps.sessions) as session:
            return action(session, deps)

    return await asyncio.to_thread(run)


async def read(context: Context, action: Callable[[Session, BotDeps], T]) -> T:
    """Run a read-only `action` in its own session (closed, never committed; the rows it
    returns keep their loaded values)."""
    deps = get_deps(context)

    def run() -> T:
        with deps.sessions() as session:
            return action(session, deps)

    return await asyncio.to_thread(run)


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def send(update: Update, screen: Screen) -> Message | None:
    """Answer a command or a reply with a new message."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(screen.text, reply_markup=markup(screen.buttons))


async def edit(update: Update, screen: Screen) -> None:
    """Show `screen` in the message whose button was tapped (menus do not flood the chat)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(screen.text, reply_markup=markup(screen.buttons))
    except BadRequest as exc:
        # A double tap or a re-delivered callback renders the same screen again: fine.
        if "not modified" in str(exc).lower():
            return
        if "message to edit not found" in str(exc).lower() or "can't be edited" in str(exc):
            await send(update, screen)
            return
        raise
