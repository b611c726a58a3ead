"""National advisories with acknowledgement tracking: a notification centre issues an alert to
its constituent teams and follows, per team, that it was received, read and acted on."""
