//! Test credentials made outside Warden: JWT-SVIDs signed by PyJWT and
//! certificates from a test CA made with Python's `cryptography`, through
//! `tests/python/svid.py`. Warden's verifier never checks its own output here.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::process::{AUDIENCE, TRUST_DOMAIN};

/// A directory of test keys, their JWT bundle and, on demand, a test PKI.
pub struct Credentials {
    dir: TempDir,
}

impl Credentials {
    /// Keys for `specs` (`kid:ALG`), all of them in the bundle.
    pub fn new(specs: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for credentials");
        let credentials = Self { dir };
        credentials.publish(specs);
        credentials
    }

    /// Rewrites the bundle to hold exactly `specs`, creating missing keys.
    pub fn publish(&self, specs: &[&str]) {
        let mut args = vec!["bundle".to_owned(), self.path().display().to_string()];
        args.extend(specs.iter().map(|spec| (*spec).to_owned()));
        run_script(&args);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The JWT bundle (JWKS) file.
    pub fn bundle(&self) -> PathBuf {
        self.path().join("bundle.jwks")
    }

    /// An `[identity]` table that trusts this bundle, with `extra` keys.
    pub fn identity_table(&self, extra: &str) -> String {
        format!(
            "trust_domain = \"{TRUST_DOMAIN}\"\naudience = \"{AUDIENCE}\"\n\
             jwt_bundle = \"{}\"\n{extra}\n",
            self.bundle().display()
        )
    }

    /// A JWT-SVID for `sub`, signed with `kid`'s key, for the gateway's
    /// audience; `flags` as `svid.py jwt` takes them.
    pub fn jwt(&self, kid: &str, sub: &str, flags: &[&str]) -> String {
        self.jwt_for(kid, sub, AUDIENCE, flags)
    }

    /// A JWT-SVID for `sub` and audience `aud`.
    pub fn jwt_for(&self, kid: &str, sub: &str, aud: &str, flags: &[&str]) -> String {
        let mut args = vec![
            "jwt".to_owned(),
            self.path().display().to_string(),
            kid.to_owned(),
            sub.to_owned(),
            aud.to_owned(),
        ];
        args.extend(flags.iter().map(|flag| (*flag).to_owned()));
        run_script(&args).trim().to_owned()
    }

    /// Writes a test PKI under `pki/` and returns that directory: `ca.pem`,
    /// `server.pem`, `server-key.pem`, and client files `agent.pem` (one
    /// SPIFFE URI SAN), `nouri.pem`, `twouri.pem`, `foreign.pem` (another CA).
    pub fn pki(&self) -> PathBuf {
        let dir = self.path().join("pki");
        run_script(&["pki".to_owned(), dir.display().to_string()]);
        dir
    }
}

fn run_script(args: &[String]) -> String {
    let script = super::workspace_root().join("tests/python/svid.py");
    let output = Command::new(super::python())
        .arg(script)
        .args(args)
        .output()
        .expect("run tests/python/svid.py");
    assert!(
        output.status.success(),
        "svid.py {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
