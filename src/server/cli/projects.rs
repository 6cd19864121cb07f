//! `forgekey project …`: projects and their Git repositories.

use super::{find_user, CliError, Storage};
use crate::server::services::audit::Actor;
use crate::server::services::projects;
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project with an empty repository, owned by a user.
    Create {
        #[arg(long)]
        user: String,
        /// The project's name; its URL path is derived unless --path is given.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        path: String,
        #[arg(long, value_enum, default_value_t = Visibility::Private)]
        visibility: Visibility,
    },
    /// List a user's projects.
    List {
        #[arg(long)]
        user: String,
    },
}

/// Who may see a project (`domain::project::Visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Visibility {
    Private,
    Public,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Public => "public",
        }
    }
}

pub async fn run(storage: &Storage, command: ProjectCommand) -> Result<(), CliError> {
    let core = storage.cli_core();
    match command {
        ProjectCommand::Create {
            user,
            name,
            path,
            visibility,
        } => {
            let owner = find_user(&core, &user).await?;
            let p = projects::create(
                &core,
                &Actor::command_line(),
                &owner,
                &name,
                &path,
                visibility.as_str(),
            )
            .await?;
            println!(
                "Created project {}/{} (id {}, {}).",
                p.namespace,
                p.path,
                p.id,
                p.visibility.as_str()
            );
        }
        ProjectCommand::List { user } => {
            let owner = find_user(&core, &user).await?;
            println!("{:>6}  {:<40} {:<8}", "ID", "PROJECT", "VISIBILITY");
            for p in projects::list_owned(&core, &owner).await? {
                let full = format!("{}/{}", p.namespace, p.path);
                println!("{:>6}  {full:<40} {:<8}", p.id, p.visibility.as_str());
            }
        }
    }
    Ok(())
}
