"""Staff UI: the caller's inbox and notification settings; the office's deliveries and templates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import time
from typing import Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from renda.config import Settings
from renda.core.auth import safe_return_path
from renda.core.errors import AppError, InvalidInput, NotFound
from renda.core.permissions import public, requires
from renda.modules.notifications import service
from renda.modules.notifications.mailbox import SHOWN, read_mailbox
from renda.modules.notifications.models import CHANNEL_LABELS, CHANNELS, MODE_LABELS, MODES, STATUS_LABELS
from renda.modules.notifications.registry import kinds
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess
from renda.web.actions import refusal
from renda.web.pages import shell_context

Form = dict[str, Any]
PAGE_SIZE = 20


def _field(form: Form, key: str) -> str:
    value = form.get(key, "")
    return str(value[0] if isinstance(value, list) else value).strip()


def _time(value: str, label: str) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{label}格式不正确,应为“时:分”", code="invalid_quiet_hours") from None


class NotificationPages(Controller):
    path = "/t/{code:str}/notifications"
    include_in_schema = False
    dependencies = TENANT_DEPENDENCIES

    # --- inbox ---
    @get("/", guards=[requires("inbox.read")])
    async def inbox(
        self, request: Request, db: AsyncSession, access: TenantAccess, unread: bool = False, page: int = 1
    ) -> Template:
        user_id = access.principal.user_id
        result = await service.list_inbox(db, user_id, unread_only=unread, page=page, page_size=PAGE_SIZE)
        context = {**await shell_context(request, access), "page": result, "unread_only": unread}
        return Template("notifications/inbox.html", context=context)

    @get("/{notification_id:uuid}/open", guards=[requires("inbox.read")])
    async def follow_item(self, db: AsyncSession, access: TenantAccess, notification_id: uuid.UUID) -> Redirect:
        """Follow an item's link and nothing else: a GET can come from any site, so it changes nothing."""
        item = await service.get_own(db, access.principal.user_id, notification_id)
        return self._to_link(access, item.link)

    @post("/{notification_id:uuid}/open", guards=[requires("inbox.write")])
    async def open_item(self, db: AsyncSession, access: TenantAccess, notification_id: uuid.UUID) -> Redirect:
        """Follow an item's link, marking it read on the way (the inbox's form, with the CSRF token)."""
        item = await service.mark_read(db, access.principal.user_id, notification_id)
        return self._to_link(access, item.link)

    @staticmethod
    def _to_link(access: TenantAccess, link: str | None) -> Redirect:
        return Redirect(safe_return_path(link) if link else f"/t/{access.tenant.code}/notifications")

    @post("/{notification_id:uuid}/read", guards=[requires("inbox.write")])
    async def mark_read(self, db: AsyncSession, access: TenantAccess, notification_id: uuid.UUID) -> Redirect:
        await service.mark_read(db, access.principal.user_id, notification_id)
        return Redirect(f"/t/{access.tenant.code}/notifications")

    @post("/read-all", guards=[requires("inbox.write")])
    async def mark_all_read(self, db: AsyncSession, access: TenantAccess) -> Redirect:
        await service.mark_all_read(db, access.principal.user_id)
        return Redirect(f"/t/{access.tenant.code}/notifications")

    # --- the caller's settings ---
    async def _preferences_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        user_id = access.principal.user_id
        context = {
            **await shell_context(request, access),
            "kinds": sorted(kinds().values(), key=lambda k: k.label),
            "channels": CHANNELS,
            "channel_labels": CHANNEL_LABELS,
            "modes": MODES,
            "mode_labels": MODE_LABELS,
            "chosen": await service.preferences_of(db, user_id),
            "quiet": await service.quiet_hours_of(db, user_id),
            "contacts": await service.contacts(user_id),
            **extra,
        }
        return Template("notifications/preferences.html", context=context, status_code=status)

    @get("/preferences", guards=[requires("inbox.read")])
    async def preferences(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._preferences_page(request, db, access)

    @post("/preferences", guards=[requires("inbox.write")])
    async def save_preferences(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        user_id = access.principal.user_id
        try:
            choices = [
                service.PreferenceChoice(k, c, _field(data, f"pref:{k}:{c}"))
                for k in kinds()
                for c in CHANNELS
                if f"pref:{k}:{c}" in data
            ]
            start = _time(_field(data, "quiet_start"), "免打扰开始时间")
            end = _time(_field(data, "quiet_end"), "免打扰结束时间")
            await service.set_preferences(db, user_id, choices)
            await service.set_quiet_hours(db, user_id, start, end)
        except AppError as error:
            await db.rollback()
            return await self._preferences_page(request, db, access, status=400, error=await refusal(error, request))
        return Redirect(f"/t/{access.tenant.code}/notifications/preferences?saved=1")

    @post("/contacts", guards=[requires("inbox.write")])
    async def save_contacts(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        mobile = _field(data, "mobile")
        clear_mobile = _field(data, "clear_mobile") == "1"
        try:
            await service.update_contacts(
                access.principal.user_id,
                access.principal.actor,
                email=_field(data, "email"),
                mobile=mobile,
                wechat_openid=_field(data, "wechat_openid"),
                keep_mobile=not mobile and not clear_mobile,  # the form shows only the masked number
            )
        except AppError as error:
            return await self._preferences_page(request, db, access, status=400, error=await refusal(error, request))
        return Redirect(f"/t/{access.tenant.code}/notifications/preferences?saved=1")

    # --- the office's deliveries ---
    @get("/deliveries", guards=[requires("notifications.read")])
    async def deliveries(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: str | None = None, page: int = 1
    ) -> Template:
        result, items = await service.list_deliveries(db, status or None, page, PAGE_SIZE)
        context = {
            **await shell_context(request, access),
            "page": result,
            "items": items,
            "names": await service.recipient_names(d.user_id for d in result.items),
            "status": status or "",
            "status_labels": STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "mode_labels": MODE_LABELS,
            "kinds": kinds(),
        }
        return Template("notifications/deliveries.html", context=context)

    @post("/deliveries/{delivery_id:uuid}/resend", guards=[requires("notifications.write")])
    async def resend(self, db: AsyncSession, access: TenantAccess, delivery_id: uuid.UUID) -> Redirect:
        await service.resend(db, delivery_id)
        return Redirect(f"/t/{access.tenant.code}/notifications/deliveries")

    # --- the office's templates ---
    async def _templates_page(
        self, request: Request, db: AsyncSession, access: TenantAccess, status: int = 200, **extra: Any
    ) -> Template:
        context = {**await shell_context(request, access), "templates": await service.templates(db), **extra}
        return Template("notifications/templates.html", context=context, status_code=status)

    @get("/templates", guards=[requires("notifications.read")])
    async def templates(self, request: Request, db: AsyncSession, access: TenantAccess) -> Template:
        return await self._templates_page(request, db, access)

    @post("/templates", guards=[requires("notifications.write")])
    async def save_template(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        kind = _field(data, "kind")
        try:
            await service.save_template(
                db, kind, _field(data, "title_template"), _field(data, "body_template"), access.principal.actor
            )
        except AppError as error:
            await db.rollback()
            return await self._templates_page(
                request, db, access, status=400, error=await refusal(error, request), failed=kind
            )
        return Redirect(f"/t/{access.tenant.code}/notifications/templates")

    @post("/templates/reset", guards=[requires("notifications.write")])
    async def reset_template(
        self,
        request: Request,
        db: AsyncSession,
        access: TenantAccess,
        data: Form = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        try:
            await service.reset_template(db, _field(data, "kind"))
        except AppError as error:
            await db.rollback()
            return await self._templates_page(request, db, access, status=400, error=await refusal(error, request))
        return Redirect(f"/t/{access.tenant.code}/notifications/templates")


class DemoMailboxPage(Controller):
    """The demo mailbox (`mailbox.py`): only in demo mode; elsewhere there is no such page."""

    path = "/demo/mailbox"
    include_in_schema = False

    @get("/", guards=[public])
    async def mailbox(self, request: Request, settings: Settings) -> Template:
        if not settings.demo_mode:
            raise NotFound()
        messages = await asyncio.to_thread(read_mailbox, settings.mailbox_path)
        signed_in = request.scope.get("user") is not None
        return Template(
            "notifications/demo_mailbox.html",
            context={"messages": messages, "signed_in": signed_in, "shown": SHOWN},
        )


PAGES = [NotificationPages, DemoMailboxPage]
