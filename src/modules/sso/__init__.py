"""Sign-in through OpenID Connect identity providers (统一身份认证)."""
