"""Home visits: requests, zones, cutoffs, triage, dispatch and routes, outcomes."""
