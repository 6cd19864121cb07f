//! Database and HTTP tests. Every test in `both_backends!` runs once on
//! SQLite and once on PostgreSQL (FORGEKEY_TEST_PG_URL, which the test
//! command sets after starting a PostgreSQL 15 on loopback).

mod support;

mod addresses;
mod admin;
mod api;
mod assets;
mod audit;
mod bursts;
mod change_feed;
mod db;
mod git;
mod gitlab_auth_finders;
mod gitlab_helpers;
mod gitlab_pagination;
mod gitlab_rotate;
mod gitlab_self;
mod gitlab_tokens;
mod gitlab_users;
mod graphql;
mod http;
mod inventory;
mod jobs;
mod leaks;
mod mail;
mod metrics;
mod outage;
mod parsers;
mod recovery;
mod registry;
mod schema;
mod slow_clients;
mod token_pages;
mod tokens;
mod two_factor;
