"""Workflow files on the daemon side: the loader (folder → specs and errors); the registry and the
watcher build on it."""
