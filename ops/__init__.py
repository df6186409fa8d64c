"""Process plumbing shared by the launcher and the tests: private Redis, free ports."""
