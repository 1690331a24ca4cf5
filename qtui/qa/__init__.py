"""QA of a pushed survey: plan the routes to cover, walk them (on the platform or in the local
engine), compare with the prediction, report (terminal, Markdown, JUnit XML, JSON)."""
