"""Excel exports of any list, built in the background."""
