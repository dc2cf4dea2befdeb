//! The server secret file in the data directory, created on first start.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use usher_service::ServerSecret;

use crate::cli_lang;

const SECRET_FILE: &str = "secret.key";

/// Loads the secret, creating it (mode 0600) when missing.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<ServerSecret> {
    let path = data_dir.join(SECRET_FILE);
    if path.exists() {
        let bytes = std::fs::read(&path).with_context(|| {
            cli_lang::lang().pick(
                format!("cannot read the server secret {}", path.display()),
                format!("无法读取服务器密钥 {}", path.display()),
            )
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the server secret {} is not 32 bytes long; restore it from a backup", path.display())
        })?;
        return Ok(ServerSecret::from_bytes(bytes));
    }
    let secret = ServerSecret::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(&path) {
        Ok(file) => file,
        // Another process (a concurrent `usher admin create`) created it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_or_create(data_dir),
        Err(e) => {
            return Err(e).with_context(|| {
                cli_lang::lang().pick(
                    format!("cannot create the server secret {}", path.display()),
                    format!("无法创建服务器密钥 {}", path.display()),
                )
            })
        }
    };
    file.write_all(secret.as_bytes()).with_context(|| {
        cli_lang::lang().pick(
            format!("cannot write the server secret {}", path.display()),
            format!("无法写入服务器密钥 {}", path.display()),
        )
    })?;
    tracing::info!(path = %path.display(), "server secret created");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_persists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path()).expect("create");
        let second = load_or_create(dir.path()).expect("load");
        assert_eq!(first.as_bytes(), second.as_bytes());
    }

    #[test]
    fn secret_wrong_length_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SECRET_FILE), b"short").expect("write");
        assert!(load_or_create(dir.path()).is_err());
    }
}
