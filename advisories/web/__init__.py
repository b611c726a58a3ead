"""The advisories web pages: the recipient's inbox, the advisory page, the coordinator's matrix."""
