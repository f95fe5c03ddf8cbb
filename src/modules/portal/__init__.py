"""The public portal (公开页面): what an office publishes to everyone, without sign-in."""
