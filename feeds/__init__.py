"""Feed sync: pull from and push to remote TAXII servers and ingest indicator lists, on schedules."""
