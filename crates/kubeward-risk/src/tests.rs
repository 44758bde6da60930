//! Unit tests: one pass and one fail fixture per edge rule, scoring and ranking.
