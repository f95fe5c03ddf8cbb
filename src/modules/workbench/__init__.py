"""The workbench (工作台): what waits for the signed-in person on their office's home page, by role."""
