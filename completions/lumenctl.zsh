#compdef lumenctl

__lumenctl_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__lumenctl_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __lumenctl_complete "${completions[@]:0:-1}"
    fi
}

__lumenctl_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_lumenctl() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'apply:Validate manifests and store them as one new revision.'
            'diff:Show what applying manifests would change, as a unified diff of the canonical YAML.'
            'get:List objects of a kind, or show one.'
            'describe:Show one object in detail: its spec with defaults, what it refers to, what uses it, and its history.'
            'delete:Delete objects by kind and name, or every object defined in manifest files, as one revision.'
            'history:List revisions, or the versions of one object.'
            'rollback:Make a past revision'\''s state current again, written as a new revision.'
            'validate:Check manifests without writing anything.'
            'shadow:Follow shadow tests, compare a candidate with the route'\''s model, promote it or stop a test.'
            'sync:Push the newest revision to every node again (after a node was down, say).'
            'health:Show the health of every upstream on every node: state and why, TTFT, inter-token latency, errors, load.'
            'logs:Show the output of a replica that an agent runs (its engine'\''s stdout and stderr, and each start).'
            'keys:Create, list and revoke API keys.'
            'route:Inspect how routes choose models.'
            'scorer:Fit the difficulty scorer to labelled prompts, or measure a route'\''s routing against them.'
            'up:Run a complete single-node Lumen in the foreground: an agent, its replicas and the quickstart manifests.'
            'chat:Send one prompt through Lumen and stream the answer, with its TTFT, tokens and cost.'
            'bench:Generate load against an OpenAI-compatible endpoint and report latency, throughput and errors.'
            'costs:Show spend from every node'\''s usage ledger: requests, errors, tokens, cost, budgets and what routing saved.'
            'top:Watch the fleet live: nodes, model replicas and providers with their state, latency, load, request rate and spend.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        apply|diff|get|describe|delete|history|rollback|validate|shadow|sync|health|logs|keys|route|scorer|up|chat|bench|costs|top|help)
            "_lumenctl_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_lumenctl_apply() {
    local -i ret=1
    local -ar arg_specs=(
        '*'{-f,--filename}'[A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.]:path:_files -g '\''*.yaml *.yml'\'''
        '(-R --recursive)'{-R,--recursive}'[Read folders named by -f recursively.]'
        '--dry-run[Validate and show what would change, without writing.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_diff() {
    local -i ret=1
    local -ar arg_specs=(
        '*'{-f,--filename}'[A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.]:path:_files -g '\''*.yaml *.yml'\'''
        '(-R --recursive)'{-R,--recursive}'[Read folders named by -f recursively.]'
        '--exit-code[Exit with 2 when there are differences (1 stays for errors), for scripts.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_get() {
    local -i ret=1
    local -ar _kind=('providers' 'models' 'routes' 'shadowtests' 'nodes' 'all' 'replicas')
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':kind:{__lumenctl_complete "${_kind[@]}"}'
        ':name:'
        '(--output -o)'{--output,-o}'[Output format\: table, wide, json or yaml.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_describe() {
    local -i ret=1
    local -ar _kind=('providers' 'models' 'routes' 'shadowtests' 'nodes')
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':kind:{__lumenctl_complete "${_kind[@]}"}'
        ':name:'
        '(--output -o)'{--output,-o}'[Output format\: table (readable text), wide, json or yaml.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_delete() {
    local -i ret=1
    local -ar _kind name=('providers' 'models' 'routes' 'shadowtests' 'nodes')
    local -ar arg_specs=(
        '*:kind name:{__lumenctl_complete "${_kind name[@]}"}'
        '*'{-f,--filename}'[A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.]:path:_files -g '\''*.yaml *.yml'\'''
        '(-R --recursive)'{-R,--recursive}'[Read folders named by -f recursively.]'
        '--dry-run[Show what would be deleted, without writing.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_history() {
    local -i ret=1
    local -ar _kind=('providers' 'models' 'routes' 'shadowtests' 'nodes')
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':kind:{__lumenctl_complete "${_kind[@]}"}'
        ':name:'
        '(--output -o)'{--output,-o}'[Output format\: table, wide, json or yaml.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_rollback() {
    local -i ret=1
    local -ar arg_specs=(
        ':revision:'
        '--dry-run[Show what would change, without writing.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_validate() {
    local -i ret=1
    local -ar arg_specs=(
        '*'{-f,--filename}'[A manifest file, a folder of .yaml/.yml files, or - for stdin. Repeat for more.]:path:_files -g '\''*.yaml *.yml'\'''
        '(-R --recursive)'{-R,--recursive}'[Read folders named by -f recursively.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_shadow() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List shadow tests with their pairs so far and whether they still run.'
            'status:Show a shadow test'\''s progress: pairs per node, agreement and the candidate'\''s errors so far.'
            'report:Compare a shadow test'\''s candidate with the route'\''s model, side by side, with a verdict against its thresholds.'
            'promote:Move a route'\''s traffic to the shadow test'\''s candidate, at once or in steps with automatic rollback.'
            'stop:Stop a shadow test now, as a new revision (its until becomes now); its pairs stay for the report.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|status|report|promote|stop)
            "_lumenctl_shadow_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_lumenctl_shadow_list() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_shadow_status() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '(--watch -w)'{--watch,-w}'[Refresh until the test is done.]'
        '--interval[Time between refreshes with --watch, e.g. 2s.]:duration:'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_shadow_report() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':name:'
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--html[Also write the report as a self-contained HTML page to this file.]:file:_files -g '\''*.html'\'''
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_shadow_promote() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '--steps[Percentages of traffic for the candidate, in order, e.g. 10,50,100 (default\: 100, at once).]:percents:'
        '--interval[How long each step runs and is watched before the next, e.g. 10m.]:duration:'
        '--force[Promote even when the report'\''s verdict is not promote.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_shadow_stop() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_sync() {
    local -i ret=1
    local -ar arg_specs=(
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_health() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '(--output -o)'{--output,-o}'[Output format\: table, wide or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_logs() {
    local -i ret=1
    local -ar arg_specs=(
        ':model:'
        '--replica[The replica'\''s number (the N in MODEL-N).]:n:'
        '--node[The node to read from (default\: the first that runs the replica, or kept its log).]:node:'
        '--tail[How many lines to show from the end.]:tail:'
        '(--follow -f)'{--follow,-f}'[Keep printing new output until Ctrl-C.]'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_keys() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'create:Create a key and print it once.'
            'list:List keys (never their secrets).'
            'revoke:Revoke a key; agents refuse it once they have the new revision.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        create|list|revoke)
            "_lumenctl_keys_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_lumenctl_keys_create() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':name:'
        '--routes[Routes and models the key may use, comma-separated (default\: all).]:names:'
        '--rpm[Requests per minute allowed.]:rpm:'
        '--tpm[Tokens (in + out) per minute allowed.]:tpm:'
        '--max-streams[Concurrent streams allowed.]:max-streams:'
        '--daily-budget[USD the key may spend per UTC day, e.g. 5 or 2.50.]:usd:'
        '--monthly-budget[USD the key may spend per UTC month.]:usd:'
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_keys_list() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        '(--output -o)'{--output,-o}'[Output format\: table, wide, json or yaml.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_keys_revoke() {
    local -i ret=1
    local -ar arg_specs=(
        ':name:'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_route() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'explain:Show the score of a request, the features behind it, and every candidate with its quality, costs, TTFT and verdict.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        explain)
            "_lumenctl_route_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_lumenctl_route_explain() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        ':route:'
        ':prompt:'
        '(--file -f)'{--file,-f}'[A whole request body (JSON), instead of a prompt.]:request.json:'
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_scorer() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'fit:Fit scorer weights (logistic regression) and print them as a manifest.'
            'evaluate:Measure a route against labelled prompts: the scorer'\''s AUC, cost against the strongest candidate, and hard prompts sent to a model that clears them.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        fit|evaluate)
            "_lumenctl_scorer_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_lumenctl_scorer_fit() {
    local -i ret=1
    local -ar arg_specs=(
        '(--file -f)'{--file,-f}'[Labelled prompts, one JSON object per line.]:labeled.jsonl:'
        '--route[The route whose manifest to print with the fitted scorer.]:route:'
        '--hard-quality[The quality a model needs to clear a hard prompt.]:quality:'
        '--recall[The share of hard prompts that must score at least --hard-quality.]:share:'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_scorer_evaluate() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        '(--file -f)'{--file,-f}'[Labelled prompts, one JSON object per line.]:labeled.jsonl:'
        '--route[The route to measure.]:route:'
        '--hard-quality[The quality a model needs to clear a hard prompt.]:quality:'
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_up() {
    local -i ret=1
    local -ar arg_specs=(
        '(-f --filename)'{-f,--filename}'[The manifests to run.]:path:_files -/'
        '--home[The Lumen home to use (default\: a new temporary folder).]:dir:_files -/'
        '--listen[Public API address (default\: the Node manifest'\''s address, else 127.0.0.1\:8080).]:host\:port:'
        '--admin-listen[Admin API address (default\: the Node manifest'\''s adminAddress, else 127.0.0.1\:7070).]:host\:port:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_chat() {
    local -i ret=1
    local -ar arg_specs=(
        '(--model -m)'{--model,-m}'[A route (lumen/NAME) or a model name.]:model:'
        ':prompt:'
        '--system[A system message to send first.]:system:'
        '--max-tokens[Largest number of tokens to generate.]:max-tokens:'
        '--endpoint[The agent'\''s OpenAI-compatible base URL.]:url:'
        '--key[The API key (default\: $LUMEN_API_KEY).]:key:'
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_bench() {
    local -i ret=1
    local -ar ___output=('table' 'wide' 'json' 'yaml')
    local -ar arg_specs=(
        '--endpoint[Base URL to load.]:url:'
        '--key[API key (default\: $LUMEN_API_KEY).]:key:'
        '(--model -m)'{--model,-m}'[Route or model to ask for.]:model:'
        '--concurrency[Requests in flight at once (closed loop).]:concurrency:'
        '--rate[Requests per second to start (open loop); overrides --concurrency.]:rate:'
        '--duration[How long to run, e.g. 10s.]:duration:'
        '--requests[Stop after this many requests instead.]:requests:'
        '--stream[Stream the answers (TTFT and inter-token latency are measured only when streaming).]'
        '--no-stream[Stream the answers (TTFT and inter-token latency are measured only when streaming).]'
        '--prompt-words[Words in each prompt.]:prompt-words:'
        '--max-tokens[max_completion_tokens of each request.]:max-tokens:'
        '(--output -o)'{--output,-o}'[Output format\: table or json.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_costs() {
    local -i ret=1
    local -ar ___by=('route' 'model' 'key' 'node' 'day')
    local -ar ___output=('table' 'json' 'csv')
    local -ar arg_specs=(
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--since[Start of the window\: a span back from now (30m, 24h, 7d) or a UTC date or time (2026-11-01, 2026-11-01T12\:00\:00Z).]:when:'
        '--until[End of the window, excluded\: a span back from now, a UTC date or time, or now (default).]:when:'
        '--by[Group by route, model, key, node or day.]:by:{__lumenctl_complete "${___by[@]}"}'
        '(--output -o)'{--output,-o}'[Output format\: table, json or csv.]:output:{__lumenctl_complete "${___output[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_top() {
    local -i ret=1
    local -ar arg_specs=(
        '--home[The Lumen home folder holding control.db (default\: $LUMEN_HOME, else ~/.lumen).]:dir:_files -/'
        '--interval[How often to refresh, e.g. 2s or 500ms.]:duration:'
        '--once[Print one frame and exit (the default when standard output is not a terminal).]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_lumenctl_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _lumenctl ]]; then
    _lumenctl "${@}"
else
    compdef _lumenctl lumenctl
fi
