use super::support::{both_backends, T0};
use crate::server::clock::ManualClock;
use crate::server::db::users;
use crate::server::services::{accounts, ServiceError};

both_backends!(
    first_account_is_admin_and_names_are_unique_case_insensitively,
    |t| {
        let clock = ManualClock::at(T0);
        let state = super::super::support::state(&t, &clock);
        let first = accounts::register(&state, "Alice", "alice@example.com", "password-1", false)
            .await
            .unwrap();
        assert!(first.is_admin);
        assert_eq!(first.created_at, T0);
        let second = accounts::register(&state, "bob", "bob@example.com", "password-2", false)
            .await
            .unwrap();
        assert!(!second.is_admin);
        let third = accounts::register(&state, "carol", "carol@example.com", "password-3", true)
            .await
            .unwrap();
        assert!(third.is_admin);

        let Err(ServiceError::Invalid(errors)) =
            accounts::register(&state, "ALICE", "BOB@example.com", "password-4", false).await
        else {
            panic!("duplicates must be refused");
        };
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("username", "Username has already been taken."),
                ("email", "Email has already been taken.")
            ]
        );
        assert_eq!(
            users::page(&t.db, &Default::default(), 0, 100)
                .await
                .unwrap()
                .1,
            3
        );
    }
);

both_backends!(the_unique_index_decides_a_race, |t| {
    let now = T0;
    let new = |name: &'static str, email: &'static str| users::NewUser {
        username: name,
        username_key: name,
        email,
        email_key: email,
        password_hash: "x",
        admin: false,
        now,
    };
    users::insert(&t.db, &new("dave", "dave@example.com"))
        .await
        .unwrap();
    assert!(matches!(
        users::insert(&t.db, &new("dave", "other@example.com")).await,
        Err(users::InsertUserError::UsernameTaken)
    ));
    assert!(matches!(
        users::insert(&t.db, &new("erin", "dave@example.com")).await,
        Err(users::InsertUserError::EmailTaken)
    ));
    // Nothing half-written: the failed inserts left one user.
    assert_eq!(
        users::page(&t.db, &Default::default(), 0, 100)
            .await
            .unwrap()
            .1,
        1
    );
});

both_backends!(
    lockout_after_ten_failures_and_unlock_after_ten_minutes,
    |t| {
        let clock = ManualClock::at(T0);
        let state = super::super::support::state(&t, &clock);
        accounts::register(&state, "frank", "frank@example.com", "the-password", false)
            .await
            .unwrap();
        for _ in 0..9 {
            assert_eq!(
                accounts::authenticate(&state, "frank", "wrong").await,
                Err(ServiceError::InvalidCredentials)
            );
        }
        assert_eq!(
            accounts::authenticate(&state, "frank", "wrong").await,
            Err(ServiceError::Locked { minutes: 10 })
        );
        // Locked: the right password does not open it, and the message is the same.
        assert_eq!(
            accounts::authenticate(&state, "FRANK@example.com", "the-password").await,
            Err(ServiceError::Locked { minutes: 10 })
        );
        clock.advance(599);
        assert!(matches!(
            accounts::authenticate(&state, "frank", "the-password").await,
            Err(ServiceError::Locked { .. })
        ));
        clock.advance(1);
        let user = accounts::authenticate(&state, "frank", "the-password")
            .await
            .unwrap();
        assert_eq!(user.username, "frank");
        // A success resets the count: nine more failures do not lock.
        for _ in 0..9 {
            assert_eq!(
                accounts::authenticate(&state, "frank", "wrong").await,
                Err(ServiceError::InvalidCredentials)
            );
        }
        assert!(accounts::authenticate(&state, "frank", "the-password")
            .await
            .is_ok());
    }
);

both_backends!(
    unknown_users_cost_the_same_hashing_as_wrong_passwords,
    |t| {
        let clock = ManualClock::at(T0);
        let state = super::super::support::state(&t, &clock);
        accounts::register(&state, "gina", "gina@example.com", "the-password", false)
            .await
            .unwrap();
        // Warm the dummy hash, which is made once.
        let _ = accounts::authenticate(&state, "nobody", "x").await;
        let before = state.passwords.operations();
        assert_eq!(
            accounts::authenticate(&state, "gina", "wrong").await,
            Err(ServiceError::InvalidCredentials)
        );
        let wrong_password = state.passwords.operations() - before;
        let before = state.passwords.operations();
        assert_eq!(
            accounts::authenticate(&state, "nobody", "wrong").await,
            Err(ServiceError::InvalidCredentials)
        );
        let unknown_user = state.passwords.operations() - before;
        assert_eq!((wrong_password, unknown_user), (1, 1));
    }
);

both_backends!(
    password_change_checks_the_current_one_and_moves_the_epoch,
    |t| {
        let clock = ManualClock::at(T0);
        let state = super::super::support::state(&t, &clock);
        let user = accounts::register(&state, "hank", "hank@example.com", "old-password", false)
            .await
            .unwrap();
        let Err(ServiceError::Invalid(errors)) =
            accounts::change_password(&state, user.id, "bad", "new-password", "different").await
        else {
            panic!("must be refused");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["current_password", "password_confirmation"]);
        let changed = accounts::change_password(
            &state,
            user.id,
            "old-password",
            "new-password",
            "new-password",
        )
        .await
        .unwrap();
        assert_eq!(changed.session_epoch, user.session_epoch + 1);
        assert!(accounts::authenticate(&state, "hank", "old-password")
            .await
            .is_err());
        assert!(accounts::authenticate(&state, "hank", "new-password")
            .await
            .is_ok());
    }
);

both_backends!(
    the_database_remembers_the_secret_it_was_first_used_with,
    |t| {
        use crate::server::config::ServerSecret;
        use crate::server::services::instance::{check_secret, SecretCheck};
        let first = ServerSecret::from_bytes([1; 64]);
        let other = ServerSecret::from_bytes([2; 64]);
        check_secret(&t.db, &first, T0).await.unwrap();
        check_secret(&t.db, &first, T0 + 60).await.unwrap();
        match check_secret(&t.db, &other, T0 + 120).await {
            Err(SecretCheck::Mismatch { recorded, ours }) => {
                assert_eq!(recorded, first.fingerprint());
                assert_eq!(ours, other.fingerprint());
                assert_ne!(recorded, ours);
            }
            other => panic!("{other:?}"),
        }
        // Still the first one's, whoever asked last.
        check_secret(&t.db, &first, T0 + 180).await.unwrap();
    }
);

both_backends!(
    a_backup_taken_while_serving_restores_with_every_token,
    |t| {
        use crate::server::db::backup::BackupError;
        use crate::server::services::{audit::Actor, backup, tokens};
        let clock = ManualClock::at(T0);
        let st = super::super::support::state(&t, &clock);
        let root = super::super::support::register(&st, "root").await;
        let mut secrets = Vec::new();
        for i in 0..20 {
            let created = tokens::create(
                &st,
                &Actor::user(&root),
                &root,
                &format!("t{i}"),
                "2026-02-01",
                &["api"],
            )
            .await
            .unwrap();
            secrets.push(created.secret);
        }
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("backup.db");
        // Writers go on while the copy is taken.
        let writer = {
            let (st, root) = (st.clone(), root.clone());
            tokio::spawn(async move {
                for i in 0..20 {
                    tokens::create(
                        &st,
                        &Actor::user(&root),
                        &root,
                        &format!("w{i}"),
                        "2026-02-01",
                        &["api"],
                    )
                    .await
                    .unwrap();
                }
            })
        };
        let written = backup::write(&st, &to).await;
        writer.await.unwrap();
        if t.db.backend == crate::server::db::Backend::Postgres {
            assert!(matches!(written, Err(BackupError::Postgres)), "{written:?}");
            assert!(!to.exists());
            return;
        }
        written.unwrap();
        assert!(
            matches!(backup::write(&st, &to).await, Err(BackupError::Exists(_))),
            "never overwrites"
        );
        // Restored: the copy, opened as a database with the same secret.
        let url = format!("sqlite:{}", to.display());
        let restored = crate::server::db::Db::connect(&url).await.unwrap();
        restored.migrate().await.unwrap();
        let st2 = super::super::support::state_over(restored, &t, &clock, |_| {});
        for secret in &secrets {
            let auth = tokens::authenticate(&st2, secret).await.unwrap();
            assert_eq!(auth.user.username, "root");
        }
    }
);
