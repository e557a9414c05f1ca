"""Each login is a device: the user and the admin see them, revoke them, and wipe them remotely."""
