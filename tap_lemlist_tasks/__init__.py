"""Singer tap for lemlist tasks, built with the Meltano Singer SDK."""
