function __lumenctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lumenctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __lumenctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __lumenctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __lumenctl_parse_tokens -S
    set -l unparsed_tokens (__lumenctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'lumenctl'
        __lumenctl_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'apply'
            __lumenctl_parse_subcommand 0 'f/filename=+' 'R/recursive' 'dry-run' 'home=' 'version' 'h/help'
        case 'diff'
            __lumenctl_parse_subcommand 0 'f/filename=+' 'R/recursive' 'exit-code' 'home=' 'version' 'h/help'
        case 'get'
            __lumenctl_parse_subcommand 2 'o/output=' 'home=' 'version' 'h/help'
        case 'describe'
            __lumenctl_parse_subcommand 2 'o/output=' 'home=' 'version' 'h/help'
        case 'delete'
            __lumenctl_parse_subcommand -r 1 'f/filename=+' 'R/recursive' 'dry-run' 'home=' 'version' 'h/help'
        case 'history'
            __lumenctl_parse_subcommand 2 'o/output=' 'home=' 'version' 'h/help'
        case 'rollback'
            __lumenctl_parse_subcommand 1 'dry-run' 'home=' 'version' 'h/help'
        case 'validate'
            __lumenctl_parse_subcommand 0 'f/filename=+' 'R/recursive' 'home=' 'version' 'h/help'
        case 'shadow'
            __lumenctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __lumenctl_parse_subcommand 0 'o/output=' 'home=' 'version' 'h/help'
            case 'status'
                __lumenctl_parse_subcommand 1 'w/watch' 'interval=' 'home=' 'version' 'h/help'
            case 'report'
                __lumenctl_parse_subcommand 1 'o/output=' 'html=' 'home=' 'version' 'h/help'
            case 'promote'
                __lumenctl_parse_subcommand 1 'steps=' 'interval=' 'force' 'home=' 'version' 'h/help'
            case 'stop'
                __lumenctl_parse_subcommand 1 'home=' 'version' 'h/help'
            end
        case 'sync'
            __lumenctl_parse_subcommand 0 'home=' 'version' 'h/help'
        case 'health'
            __lumenctl_parse_subcommand 0 'home=' 'o/output=' 'version' 'h/help'
        case 'logs'
            __lumenctl_parse_subcommand 1 'replica=' 'node=' 'tail=' 'f/follow' 'home=' 'version' 'h/help'
        case 'keys'
            __lumenctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'create'
                __lumenctl_parse_subcommand 1 'routes=' 'rpm=' 'tpm=' 'max-streams=' 'daily-budget=' 'monthly-budget=' 'o/output=' 'home=' 'version' 'h/help'
            case 'list'
                __lumenctl_parse_subcommand 0 'o/output=' 'home=' 'version' 'h/help'
            case 'revoke'
                __lumenctl_parse_subcommand 1 'home=' 'version' 'h/help'
            end
        case 'route'
            __lumenctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'explain'
                __lumenctl_parse_subcommand 2 'f/file=' 'o/output=' 'home=' 'version' 'h/help'
            end
        case 'scorer'
            __lumenctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'fit'
                __lumenctl_parse_subcommand 0 'f/file=' 'route=' 'hard-quality=' 'recall=' 'home=' 'version' 'h/help'
            case 'evaluate'
                __lumenctl_parse_subcommand 0 'f/file=' 'route=' 'hard-quality=' 'o/output=' 'home=' 'version' 'h/help'
            end
        case 'up'
            __lumenctl_parse_subcommand 0 'f/filename=' 'home=' 'listen=' 'admin-listen=' 'version' 'h/help'
        case 'chat'
            __lumenctl_parse_subcommand 1 'm/model=' 'system=' 'max-tokens=' 'endpoint=' 'key=' 'home=' 'version' 'h/help'
        case 'bench'
            __lumenctl_parse_subcommand 0 'endpoint=' 'key=' 'm/model=' 'concurrency=' 'rate=' 'duration=' 'requests=' 'stream' 'no-stream' 'prompt-words=' 'max-tokens=' 'o/output=' 'version' 'h/help'
        case 'costs'
            __lumenctl_parse_subcommand 0 'home=' 'since=' 'until=' 'by=' 'o/output=' 'version' 'h/help'
        case 'top'
            __lumenctl_parse_subcommand 0 'home=' 'interval=' 'once' 'version' 'h/help'
        case 'help'
            __lumenctl_parse_subcommand -r 1 'version'
        end
    end
end

function __lumenctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __lumenctl_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __lumenctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __lumenctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__lumenctl_tokens -p)
    if test -z "$(__lumenctl_tokens -t)"
        set -l index (count (__lumenctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'lumenctl' -f
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'apply' -d 'Validate manifests and store them as one new revision.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'diff' -d 'Show what applying manifests would change, as a unified diff of the canonical YAML.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'get' -d 'List objects of a kind, or show one.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'describe' -d 'Show one object in detail: its spec with defaults, what it refers to, what uses it, and its history.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'delete' -d 'Delete objects by kind and name, or every object defined in manifest files, as one revision.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'history' -d 'List revisions, or the versions of one object.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'rollback' -d 'Make a past revision\'s state current again, written as a new revision.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'validate' -d 'Check manifests without writing anything.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'shadow' -d 'Follow shadow tests, compare a candidate with the route\'s model, promote it or stop a test.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'sync' -d 'Push the newest revision to every node again (after a node was down, say).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'health' -d 'Show the health of every upstream on every node: state and why, TTFT, inter-token latency, errors, load.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'logs' -d 'Show the output of a replica that an agent runs (its engine\'s stdout and stderr, and each start).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'keys' -d 'Create, list and revoke API keys.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'route' -d 'Inspect how routes choose models.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'scorer' -d 'Fit the difficulty scorer to labelled prompts, or measure a route\'s routing against them.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'up' -d 'Run a complete single-node Lumen in the foreground: an agent, its replicas and the quickstart manifests.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'chat' -d 'Send one prompt through Lumen and stream the answer, with its TTFT, tokens and cost.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'bench' -d 'Generate load against an OpenAI-compatible endpoint and report latency, throughput and errors.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'costs' -d 'Show spend from every node\'s usage ledger: requests, errors, tokens, cost, budgets and what routing saved.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'top' -d 'Watch the fleet live: nodes, model replicas and providers with their state, latency, load, request rate and spend.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply"' -s 'f' -l 'filename' -d 'A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply" R recursive' -s 'R' -l 'recursive' -d 'Read folders named by -f recursively.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply" dry-run' -l 'dry-run' -d 'Validate and show what would change, without writing.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl apply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff"' -s 'f' -l 'filename' -d 'A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff" R recursive' -s 'R' -l 'recursive' -d 'Read folders named by -f recursively.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff" exit-code' -l 'exit-code' -d 'Exit with 2 when there are differences (1 stays for errors), for scripts.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl diff" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl get" -eq 1' -fka 'providers models routes shadowtests nodes all replicas'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl get" o output' -l 'output' -s 'o' -d 'Output format: table, wide, json or yaml.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl get" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl get" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl get" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl describe" -eq 1' -fka 'providers models routes shadowtests nodes'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl describe" o output' -l 'output' -s 'o' -d 'Output format: table (readable text), wide, json or yaml.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl describe" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl describe" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl describe" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl delete" -ge 1' -fka 'providers models routes shadowtests nodes'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete"' -s 'f' -l 'filename' -d 'A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete" R recursive' -s 'R' -l 'recursive' -d 'Read folders named by -f recursively.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete" dry-run' -l 'dry-run' -d 'Show what would be deleted, without writing.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl history" -eq 1' -fka 'providers models routes shadowtests nodes'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl history" o output' -l 'output' -s 'o' -d 'Output format: table, wide, json or yaml.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl history" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl history" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl history" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl rollback" dry-run' -l 'dry-run' -d 'Show what would change, without writing.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl rollback" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl rollback" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl rollback" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl validate"' -s 'f' -l 'filename' -d 'A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl validate" R recursive' -s 'R' -l 'recursive' -d 'Read folders named by -f recursively.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl validate" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl validate" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl shadow" -eq 1' -fa 'list' -d 'List shadow tests with their pairs so far and whether they still run.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl shadow" -eq 1' -fa 'status' -d 'Show a shadow test\'s progress: pairs per node, agreement and the candidate\'s errors so far.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl shadow" -eq 1' -fa 'report' -d 'Compare a shadow test\'s candidate with the route\'s model, side by side, with a verdict against its thresholds.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl shadow" -eq 1' -fa 'promote' -d 'Move a route\'s traffic to the shadow test\'s candidate, at once or in steps with automatic rollback.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl shadow" -eq 1' -fa 'stop' -d 'Stop a shadow test now, as a new revision (its until becomes now); its pairs stay for the report.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow list" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow list" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow list" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow status" w watch' -l 'watch' -s 'w' -d 'Refresh until the test is done.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow status" interval' -l 'interval' -d 'Time between refreshes with --watch, e.g. 2s.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow status" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow status" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow report" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow report" html' -l 'html' -d 'Also write the report as a self-contained HTML page to this file.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'html\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow report" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow report" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" steps' -l 'steps' -d 'Percentages of traffic for the candidate, in order, e.g. 10,50,100 (default: 100, at once).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" interval' -l 'interval' -d 'How long each step runs and is watched before the next, e.g. 10m.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" force' -l 'force' -d 'Promote even when the report\'s verdict is not promote.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow promote" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow stop" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow stop" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl shadow stop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl sync" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl sync" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl sync" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl health" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl health" o output' -l 'output' -s 'o' -d 'Output format: table, wide or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl health" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl health" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" replica' -l 'replica' -d 'The replica\'s number (the N in MODEL-N).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" node' -l 'node' -d 'The node to read from (default: the first that runs the replica, or kept its log).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" tail' -l 'tail' -d 'How many lines to show from the end.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" f follow' -l 'follow' -s 'f' -d 'Keep printing new output until Ctrl-C.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl logs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl keys" -eq 1' -fa 'create' -d 'Create a key and print it once.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl keys" -eq 1' -fa 'list' -d 'List keys (never their secrets).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl keys" -eq 1' -fa 'revoke' -d 'Revoke a key; agents refuse it once they have the new revision.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" routes' -l 'routes' -d 'Routes and models the key may use, comma-separated (default: all).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" rpm' -l 'rpm' -d 'Requests per minute allowed.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" tpm' -l 'tpm' -d 'Tokens (in + out) per minute allowed.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" max-streams' -l 'max-streams' -d 'Concurrent streams allowed.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" daily-budget' -l 'daily-budget' -d 'USD the key may spend per UTC day, e.g. 5 or 2.50.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" monthly-budget' -l 'monthly-budget' -d 'USD the key may spend per UTC month.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys list" o output' -l 'output' -s 'o' -d 'Output format: table, wide, json or yaml.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys list" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys list" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys revoke" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys revoke" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl keys revoke" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl route" -eq 1' -fa 'explain' -d 'Show the score of a request, the features behind it, and every candidate with its quality, costs, TTFT and verdict.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route explain" f file' -l 'file' -s 'f' -d 'A whole request body (JSON), instead of a prompt.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route explain" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route explain" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route explain" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl route explain" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl scorer" -eq 1' -fa 'fit' -d 'Fit scorer weights (logistic regression) and print them as a manifest.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_positional "lumenctl scorer" -eq 1' -fa 'evaluate' -d 'Measure a route against labelled prompts: the scorer\'s AUC, cost against the strongest candidate, and hard prompts sent to a model that clears them.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" f file' -l 'file' -s 'f' -d 'Labelled prompts, one JSON object per line.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" route' -l 'route' -d 'The route whose manifest to print with the fitted scorer.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" hard-quality' -l 'hard-quality' -d 'The quality a model needs to clear a hard prompt.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" recall' -l 'recall' -d 'The share of hard prompts that must score at least --hard-quality.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer fit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" f file' -l 'file' -s 'f' -d 'Labelled prompts, one JSON object per line.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" route' -l 'route' -d 'The route to measure.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" hard-quality' -l 'hard-quality' -d 'The quality a model needs to clear a hard prompt.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl scorer evaluate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" f filename' -s 'f' -l 'filename' -d 'The manifests to run.' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" home' -l 'home' -d 'The Lumen home to use (default: a new temporary folder).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" listen' -l 'listen' -d 'Public API address (default: the Node manifest\'s address, else 127.0.0.1:8080).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" admin-listen' -l 'admin-listen' -d 'Admin API address (default: the Node manifest\'s adminAddress, else 127.0.0.1:7070).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl up" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" m model' -l 'model' -s 'm' -d 'A route (lumen/NAME) or a model name.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" system' -l 'system' -d 'A system message to send first.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" max-tokens' -l 'max-tokens' -d 'Largest number of tokens to generate.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" endpoint' -l 'endpoint' -d 'The agent\'s OpenAI-compatible base URL.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" key' -l 'key' -d 'The API key (default: $LUMEN_API_KEY).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl chat" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" endpoint' -l 'endpoint' -d 'Base URL to load.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" key' -l 'key' -d 'API key (default: $LUMEN_API_KEY).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" m model' -l 'model' -s 'm' -d 'Route or model to ask for.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" concurrency' -l 'concurrency' -d 'Requests in flight at once (closed loop).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" rate' -l 'rate' -d 'Requests per second to start (open loop); overrides --concurrency.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" duration' -l 'duration' -d 'How long to run, e.g. 10s.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" requests' -l 'requests' -d 'Stop after this many requests instead.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" stream' -l 'stream' -d 'Stream the answers (TTFT and inter-token latency are measured only when streaming).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" no-stream' -l 'no-stream' -d 'Stream the answers (TTFT and inter-token latency are measured only when streaming).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" prompt-words' -l 'prompt-words' -d 'Words in each prompt.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" max-tokens' -l 'max-tokens' -d 'max_completion_tokens of each request.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" o output' -l 'output' -s 'o' -d 'Output format: table or json.' -rfka 'table wide json yaml'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl bench" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" since' -l 'since' -d 'Start of the window: a span back from now (30m, 24h, 7d) or a UTC date or time (2026-11-01, 2026-11-01T12:00:00Z).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" until' -l 'until' -d 'End of the window, excluded: a span back from now, a UTC date or time, or now (default).' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" by' -l 'by' -d 'Group by route, model, key, node or day.' -rfka 'route model key node day'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" o output' -l 'output' -s 'o' -d 'Output format: table, json or csv.' -rfka 'table json csv'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl costs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl top" home' -l 'home' -d 'The Lumen home folder holding control.db (default: $LUMEN_HOME, else ~/.lumen).' -rfa '(__lumenctl_complete_directories)'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl top" interval' -l 'interval' -d 'How often to refresh, e.g. 2s or 500ms.' -rfka ''
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl top" once' -l 'once' -d 'Print one frame and exit (the default when standard output is not a terminal).'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl top" version' -l 'version' -d 'Show the version.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl top" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'lumenctl' -n '__lumenctl_should_offer_completions_for_flags_or_options "lumenctl help" version' -l 'version' -d 'Show the version.'
