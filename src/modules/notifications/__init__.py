"""Notifications: an in-app inbox per user, and email, SMS and WeChat deliveries per preferences."""
