"""Feed sync: pull from and push to remote TAXII servers and read indicator lists, on schedules."""
