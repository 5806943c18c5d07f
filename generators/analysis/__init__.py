"""Project analysis: which languages, tools, tests and services a repository has, with evidence."""
