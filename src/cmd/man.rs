//! `breakglass man`: the manual page, generated from the CLI itself, with every
//! subcommand in one page.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;

/// The whole manual page as roff.
pub fn render() -> Vec<u8> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out).expect("writing to a Vec");
    man.render_name_section(&mut out).expect("writing to a Vec");
    man.render_synopsis_section(&mut out)
        .expect("writing to a Vec");
    man.render_description_section(&mut out)
        .expect("writing to a Vec");
    man.render_options_section(&mut out)
        .expect("writing to a Vec");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("breakglass {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let sub = sub.clone().bin_name(name);
        let page = clap_mangen::Man::new(sub);
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)
            .expect("writing to a Vec");
        page.render_description_section(&mut part)
            .expect("writing to a Vec");
        page.render_options_section(&mut part)
            .expect("writing to a Vec");
        page.render_extra_section(&mut part)
            .expect("writing to a Vec");
        // A subcommand's sections are subsections of its own section.
        let part = String::from_utf8(part)
            .expect("roff is UTF-8")
            .replace(".SH EXTRA", ".SS NOTES")
            .replace(".SH ", ".SS ");
        out.extend_from_slice(part.as_bytes());
    }
    let mut extra = Vec::new();
    man.render_extra_section(&mut extra)
        .expect("writing to a Vec");
    out.extend_from_slice(
        String::from_utf8(extra)
            .expect("roff is UTF-8")
            .replace(".SH EXTRA", ".SH \"EXAMPLES, FILES AND ENVIRONMENT\"")
            .as_bytes(),
    );
    man.render_version_section(&mut out)
        .expect("writing to a Vec");
    out
}

pub fn run() -> anyhow::Result<i32> {
    std::io::stdout().write_all(&render())?;
    Ok(0)
}
