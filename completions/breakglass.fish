# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_breakglass_global_optspecs
    string join \n dir= config= store= from-store h/help V/version
end

function __fish_breakglass_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_breakglass_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_breakglass_using_subcommand
    set -l cmd (__fish_breakglass_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c breakglass -n "__fish_breakglass_needs_command" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_needs_command" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_needs_command" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_needs_command" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c breakglass -n "__fish_breakglass_needs_command" -s V -l version -d 'Print version'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "shell" -d 'Open a recorded shell on HOST (through ssh), or on this machine'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "ls" -d 'List the sessions in the data dir, newest first'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "ship" -d 'Ship to the store what has not reached it yet (sessions and the ledger)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "verify" -d 'Prove sessions intact: VERIFIED, INTERRUPTED, TAMPERED or UNVERIFIABLE'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "replay" -d 'Replay a session in the terminal: pause, step, seek, search (verifies first)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "watch" -d 'Watch a live session: its screen now, then live; take the keyboard if allowed'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "attach" -d 'Take up your own session again after its terminal went away (a dropped connection)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "mark" -d 'Add a marker to a live session (shown to everyone, recorded in the log)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "extend" -d 'Move a live session\'s time limit later (its owner or an operator; up to max_ttl)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "export" -d 'Export a session: asciicast, text transcript, keys typed, timeline, or JSON records'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "show" -d 'Print a session\'s timeline: who, why, verdict, then commands and events in order'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "grep" -d 'Search what was typed and what was shown, across sessions'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "init" -d 'Set up installed mode (root, once; safe to run again): data dir, ledger, keys'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "reveal" -d 'Open a session\'s sealed input (masked input kept encrypted) with an auditor\'s age key'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "ca" -d 'Fire id certificate authority: make it (root, once) or print its public key'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "man" -d 'Print the manual page (roff), e.g. `breakglass man | man -l -`'
complete -c breakglass -n "__fish_breakglass_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -s r -l reason -d 'Why you need access (recorded; asked for when not given and stdin is a terminal)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -s t -l ticket -d 'Ticket or incident id (the config may require one and a pattern for it)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l ttl -d 'Time limit, e.g. 30m or 1h30m: whole seconds, at least 1s (default and maximum from the config: 1h and 8h)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l watchers -d 'Users or @groups who may watch, besides you and root (adds to config `watchers`)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l operators -d 'Users or @groups who may take the keyboard and end the session (adds to `operators`)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l record-secrets -d 'Also record what is typed at password prompts (masked by default; refused when the config sets require_seal)'
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l require-operator -d 'Send your input only while an operator watches (joined with `watch --operate`); keys typed while none does are dropped (also per host in the config)'
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l no-status-line -d 'Give the last row of your terminal back to the session: breakglass\'s notices go to the title instead (also `status_line = false` in the config)'
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand shell" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -l json -d 'One JSON object per line, for jq'
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand ls" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -l wait -d 'How long to keep trying a store that does not answer, e.g. 30s, 5m' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand ship" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l witness -d 'A witness copy (from `watch --save`): the log must hold every line of it unchanged' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l pubkey -d 'The public key to check signatures with (a copy of `signing.pub` kept elsewhere); default: `signing.pub` beside the config in use, else the data dir\'s keys/signing.pub' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l syslog -d 'Syslog lines the sessions sent (config `syslog`), RFC 5424 with structured data: every head they name must be in the log unchanged. A session the file holds no line for is said to; a file with none at all is an error (exit 2)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l all -d 'Every session in the data dir, and the ledger (its head is printed): a missing, replaced or unlisted session file is reported. A data dir that does not exist is an error (exit 2); one with no session says `no sessions` (exit 0)'
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l json -d 'One JSON object per session, for scripts'
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand verify" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l speed -d 'Playback speed' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l idle-limit -d 'Longer pauses than this many seconds are shortened to it' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l at -d 'Start at this time into the session (12:30, 90, 2m), paused' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l follow -d 'Keep playing a live session\'s log as it grows, verifying as it goes'
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l force -d 'Replay even a TAMPERED session (a warning stays on screen)'
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand replay" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l save -d 'Keep a byte-identical copy of the session\'s log, from its first line, as a witness' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l escape -d 'The escape key (default ctrl-], or `escape_key` in the config)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l operate -d 'Take the keyboard as soon as you attach (operators only)'
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand watch" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand attach" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand attach" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand attach" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand attach" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand attach" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand mark" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand mark" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand mark" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand mark" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand mark" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand extend" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand extend" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand extend" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand extend" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand extend" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -s f -l format -d 'What to export' -r -f -a "asciicast\t'asciicast v2, for asciinema and asciinema-player'
text\t'The transcript: output rendered as a terminal showed it, no escape codes'
keys\t'What was typed, line by line, with time and who'
timeline\t'Markdown timeline for a postmortem (what `show` prints)'
json\t'Every record decoded, one JSON object per line'"
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -s o -l output -d 'Write to FILE instead of stdout (created 0600; an existing file is refused)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -l force -d 'Replace FILE if it exists'
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c breakglass -n "__fish_breakglass_using_subcommand show" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand show" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand show" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand show" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand show" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l user -d 'Only sessions of this user' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l host -d 'Only sessions on this host' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l since -d 'Only sessions started since a date (RFC 3339) or within a duration (2h, 7d)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l input -d 'Search only typed input'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l output -d 'Search only output'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -s i -l ignore-case -d 'Match case-insensitively'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l json -d 'One JSON object per match, for scripts'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand grep" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -l adopt -d 'Copy the ledger and sessions of an old (group-shared) data dir into the fresh one' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand init" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -s i -l identity -d 'age identity file holding the auditor\'s secret key (AGE-SECRET-KEY-1...)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand reveal" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -f -a "init" -d 'Make the CA key pair (root, from the installed binary; safe to run again)'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -f -a "pubkey" -d 'Print the CA public key, one line, as sshd\'s TrustedUserCAKeys reads it'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and not __fish_seen_subcommand_from init pubkey help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from init" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from init" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from init" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from init" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from pubkey" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from pubkey" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from pubkey" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from pubkey" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from pubkey" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "init" -d 'Make the CA key pair (root, from the installed binary; safe to run again)'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "pubkey" -d 'Print the CA public key, one line, as sshd\'s TrustedUserCAKeys reads it'
complete -c breakglass -n "__fish_breakglass_using_subcommand ca; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c breakglass -n "__fish_breakglass_using_subcommand completions" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand completions" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand completions" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand completions" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand completions" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand man" -l dir -d 'Data dir holding sessions/, ledger.jsonl and live/' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand man" -l config -d 'Config file (TOML)' -r -F
complete -c breakglass -n "__fish_breakglass_using_subcommand man" -l store -d 'Review from an S3 store (s3://BUCKET/PREFIX) instead of the data dir, across every bastion that ships there (ls, verify, show, export, grep, replay)' -r
complete -c breakglass -n "__fish_breakglass_using_subcommand man" -l from-store -d 'Review from the store of the config\'s [store] instead of the data dir'
complete -c breakglass -n "__fish_breakglass_using_subcommand man" -s h -l help -d 'Print help'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "shell" -d 'Open a recorded shell on HOST (through ssh), or on this machine'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "ls" -d 'List the sessions in the data dir, newest first'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "ship" -d 'Ship to the store what has not reached it yet (sessions and the ledger)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "verify" -d 'Prove sessions intact: VERIFIED, INTERRUPTED, TAMPERED or UNVERIFIABLE'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "replay" -d 'Replay a session in the terminal: pause, step, seek, search (verifies first)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "watch" -d 'Watch a live session: its screen now, then live; take the keyboard if allowed'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "attach" -d 'Take up your own session again after its terminal went away (a dropped connection)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "mark" -d 'Add a marker to a live session (shown to everyone, recorded in the log)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "extend" -d 'Move a live session\'s time limit later (its owner or an operator; up to max_ttl)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "export" -d 'Export a session: asciicast, text transcript, keys typed, timeline, or JSON records'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "show" -d 'Print a session\'s timeline: who, why, verdict, then commands and events in order'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "grep" -d 'Search what was typed and what was shown, across sessions'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "init" -d 'Set up installed mode (root, once; safe to run again): data dir, ledger, keys'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "reveal" -d 'Open a session\'s sealed input (masked input kept encrypted) with an auditor\'s age key'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "ca" -d 'Fire id certificate authority: make it (root, once) or print its public key'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, elvish, powershell)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "man" -d 'Print the manual page (roff), e.g. `breakglass man | man -l -`'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and not __fish_seen_subcommand_from shell ls ship verify replay watch attach mark extend export show grep init reveal ca completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "init" -d 'Make the CA key pair (root, from the installed binary; safe to run again)'
complete -c breakglass -n "__fish_breakglass_using_subcommand help; and __fish_seen_subcommand_from ca" -f -a "pubkey" -d 'Print the CA public key, one line, as sshd\'s TrustedUserCAKeys reads it'
