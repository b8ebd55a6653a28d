"""Evidence for and against hypotheses: log lines grouped into patterns, metric series summarised."""
