"""`/api/v1/t/{code}/notifications`: the caller's own inbox and preferences; deliveries and templates
for the office's staff."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from renda.core.permissions import requires
from renda.modules.notifications import service
from renda.modules.notifications.models import CHANNEL_LABELS, CHANNELS, MODE_LABELS, Notification
from renda.modules.notifications.registry import kinds
from renda.modules.notifications.schemas import (
    ContactsIn,
    ContactsOut,
    DeliveryOut,
    DeliveryPage,
    InboxPage,
    KindOut,
    MarkedRead,
    NotificationOut,
    PreferenceIn,
    PreferencesIn,
    PreferencesOut,
    QuietHours,
    TemplateIn,
    TemplateOut,
    TemplateReset,
    UnreadCount,
)
from renda.tenants.scoping import TENANT_DEPENDENCIES, TenantAccess


async def preferences_out(db: AsyncSession, access: TenantAccess) -> PreferencesOut:
    user_id = access.principal.user_id
    chosen = await service.preferences_of(db, user_id)
    quiet = await service.quiet_hours_of(db, user_id)
    contacts = await service.contacts(user_id)
    return PreferencesOut(
        kinds=[KindOut(k.name, k.label, k.description, list(k.default_channels)) for k in kinds().values()],
        channels={c: CHANNEL_LABELS[c] for c in CHANNELS},
        modes=dict(MODE_LABELS),
        preferences=[PreferenceIn(kind, channel, mode) for (kind, channel), mode in sorted(chosen.items())],
        quiet_hours=QuietHours.of(*quiet) if quiet else None,
        contacts=ContactsOut(contacts.email, contacts.mobile_masked, contacts.wechat_openid),
    )


async def templates_out(db: AsyncSession) -> list[TemplateOut]:
    return [
        TemplateOut(
            kind=k.name,
            label=k.label,
            variables=dict(k.variables),
            title_template=t.title_template if t else k.title_template,
            body_template=t.body_template if t else k.body_template,
            default_title_template=k.title_template,
            default_body_template=k.body_template,
            customised=t is not None,
            updated_by=t.updated_by.split(":", 2)[-1] if t else None,
            updated_at=t.updated_at if t else None,
        )
        for k, t in await service.templates(db)
    ]


class NotificationController(Controller):
    path = "/api/v1/t/{code:str}/notifications"
    tags = ["通知"]
    dependencies = TENANT_DEPENDENCIES

    # --- the caller's own inbox ---
    @get("/", guards=[requires("inbox.read")])
    async def inbox(
        self, db: AsyncSession, access: TenantAccess, unread: bool = False, page: int = 1, page_size: int = 20
    ) -> InboxPage:
        user_id = access.principal.user_id
        result = await service.list_inbox(db, user_id, unread_only=unread, page=page, page_size=page_size)
        return InboxPage(
            [NotificationOut.of(n) for n in result.items],
            result.total,
            await service.unread_count(db, user_id),
            result.page,
            result.page_size,
        )

    @get("/unread-count", guards=[requires("inbox.read")])
    async def unread_count(self, db: AsyncSession, access: TenantAccess) -> UnreadCount:
        return UnreadCount(await service.unread_count(db, access.principal.user_id))

    @post("/{notification_id:uuid}/read", guards=[requires("inbox.write")], status_code=200)
    async def mark_read(self, db: AsyncSession, access: TenantAccess, notification_id: uuid.UUID) -> NotificationOut:
        return NotificationOut.of(await service.mark_read(db, access.principal.user_id, notification_id))

    @post("/read-all", guards=[requires("inbox.write")], status_code=200)
    async def mark_all_read(self, db: AsyncSession, access: TenantAccess) -> MarkedRead:
        return MarkedRead(await service.mark_all_read(db, access.principal.user_id))

    @get("/preferences", guards=[requires("inbox.read")])
    async def preferences(self, db: AsyncSession, access: TenantAccess) -> PreferencesOut:
        return await preferences_out(db, access)

    @put("/preferences", guards=[requires("inbox.write")])
    async def set_preferences(self, db: AsyncSession, access: TenantAccess, data: PreferencesIn) -> PreferencesOut:
        user_id = access.principal.user_id
        choices = [service.PreferenceChoice(p.kind, p.channel, p.mode) for p in data.preferences]
        await service.set_preferences(db, user_id, choices)
        if data.quiet_hours is None:
            await service.set_quiet_hours(db, user_id, None, None)
        elif isinstance(data.quiet_hours, QuietHours):
            await service.set_quiet_hours(db, user_id, *data.quiet_hours.times())
        return await preferences_out(db, access)

    @put("/contacts", guards=[requires("inbox.write")])
    async def set_contacts(self, access: TenantAccess, data: ContactsIn) -> ContactsOut:
        keep_mobile = data.mobile is msgspec.UNSET
        found = await service.update_contacts(
            access.principal.user_id,
            access.principal.actor,
            email=data.email,
            mobile=None if isinstance(data.mobile, msgspec.UnsetType) else data.mobile,
            wechat_openid=data.wechat_openid,
            keep_mobile=keep_mobile,
        )
        return ContactsOut(found.email, found.mobile_masked, found.wechat_openid)

    # --- the office's deliveries and templates ---
    @get("/deliveries", guards=[requires("notifications.read")])
    async def deliveries(
        self, db: AsyncSession, status: str | None = None, page: int = 1, page_size: int = 20
    ) -> DeliveryPage:
        result, items = await service.list_deliveries(db, status or None, page, page_size)
        names = await service.recipient_names(d.user_id for d in result.items)
        return DeliveryPage(
            [DeliveryOut.of(d, items.get(d.notification_id), names.get(d.user_id)) for d in result.items],
            result.total,
            result.page,
            result.page_size,
        )

    @post("/deliveries/{delivery_id:uuid}/resend", guards=[requires("notifications.write")], status_code=202)
    async def resend(self, db: AsyncSession, delivery_id: uuid.UUID) -> DeliveryOut:
        delivery = await service.resend(db, delivery_id)
        names = await service.recipient_names([delivery.user_id])
        item = await db.get(Notification, delivery.notification_id)
        return DeliveryOut.of(delivery, item, names.get(delivery.user_id))

    @get("/templates", guards=[requires("notifications.read")])
    async def templates(self, db: AsyncSession) -> list[TemplateOut]:
        return await templates_out(db)

    @put("/templates", guards=[requires("notifications.write")])
    async def save_template(self, db: AsyncSession, access: TenantAccess, data: TemplateIn) -> TemplateOut:
        spec, _ = await service.save_template(
            db, data.kind, data.title_template, data.body_template, access.principal.actor
        )
        return next(t for t in await templates_out(db) if t.kind == spec.name)

    @post("/templates/reset", guards=[requires("notifications.write")], status_code=200)
    async def reset_template(self, db: AsyncSession, data: TemplateReset) -> TemplateOut:
        spec = await service.reset_template(db, data.kind)
        return next(t for t in await templates_out(db) if t.kind == spec.name)


ROUTES = [NotificationController]
