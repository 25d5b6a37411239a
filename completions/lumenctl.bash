#!/bin/bash

__lumenctl_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__lumenctl_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__lumenctl_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__lumenctl_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_lumenctl() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __lumenctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    apply|diff|get|describe|delete|history|rollback|validate|shadow|sync|health|logs|keys|route|scorer|up|chat|bench|costs|top|help)
        # Offer subcommand argument completions
        "_lumenctl_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'apply diff get describe delete history rollback validate shadow sync health logs keys route scorer up chat bench costs top help' -- "${cur}"))
        ;;
    esac
}

_lumenctl_apply() {
    repeating_flags=()
    non_repeating_flags=(-R --recursive --dry-run --version -h --help)
    repeating_options=(-f --filename)
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '-f'|'--filename')
        __lumenctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_diff() {
    repeating_flags=()
    non_repeating_flags=(-R --recursive --exit-code --version -h --help)
    repeating_options=(-f --filename)
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '-f'|'--filename')
        __lumenctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_get() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --home)
    __lumenctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __lumenctl_add_completions -W 'providers'$'\n''models'$'\n''routes'$'\n''shadowtests'$'\n''nodes'$'\n''all'$'\n''replicas'
        return
        ;;
    esac
}

_lumenctl_describe() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --home)
    __lumenctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __lumenctl_add_completions -W 'providers'$'\n''models'$'\n''routes'$'\n''shadowtests'$'\n''nodes'
        return
        ;;
    esac
}

_lumenctl_delete() {
    repeating_flags=()
    non_repeating_flags=(-R --recursive --dry-run --version -h --help)
    repeating_options=(-f --filename)
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-f'|'--filename')
        __lumenctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __lumenctl_add_completions -W 'providers'$'\n''models'$'\n''routes'$'\n''shadowtests'$'\n''nodes'
        return
        ;;
    esac
}

_lumenctl_history() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --home)
    __lumenctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __lumenctl_add_completions -W 'providers'$'\n''models'$'\n''routes'$'\n''shadowtests'$'\n''nodes'
        return
        ;;
    esac
}

_lumenctl_rollback() {
    repeating_flags=()
    non_repeating_flags=(--dry-run --version -h --help)
    repeating_options=()
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_validate() {
    repeating_flags=()
    non_repeating_flags=(-R --recursive --version -h --help)
    repeating_options=(-f --filename)
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '-f'|'--filename')
        __lumenctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_shadow() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __lumenctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|status|report|promote|stop)
        # Offer subcommand argument completions
        "_lumenctl_shadow_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list status report promote stop' -- "${cur}"))
        ;;
    esac
}

_lumenctl_shadow_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_shadow_status() {
    repeating_flags=()
    non_repeating_flags=(--watch -w --version -h --help)
    repeating_options=()
    non_repeating_options=(--interval --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--interval')
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_shadow_report() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --html --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--html')
        __lumenctl_add_completions -o plusdirs -fX '!*.@(html)'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_shadow_promote() {
    repeating_flags=()
    non_repeating_flags=(--force --version -h --help)
    repeating_options=()
    non_repeating_options=(--steps --interval --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--steps')
        return
        ;;
    '--interval')
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_shadow_stop() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_sync() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_health() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--home --output -o)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    esac
}

_lumenctl_logs() {
    repeating_flags=()
    non_repeating_flags=(--follow -f --version -h --help)
    repeating_options=()
    non_repeating_options=(--replica --node --tail --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--replica')
        return
        ;;
    '--node')
        return
        ;;
    '--tail')
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_keys() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __lumenctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    create|list|revoke)
        # Offer subcommand argument completions
        "_lumenctl_keys_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'create list revoke' -- "${cur}"))
        ;;
    esac
}

_lumenctl_keys_create() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--routes --rpm --tpm --max-streams --daily-budget --monthly-budget --output -o --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--routes')
        return
        ;;
    '--rpm')
        return
        ;;
    '--tpm')
        return
        ;;
    '--max-streams')
        return
        ;;
    '--daily-budget')
        return
        ;;
    '--monthly-budget')
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_keys_list() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_keys_revoke() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_route() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __lumenctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    explain)
        # Offer subcommand argument completions
        "_lumenctl_route_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'explain' -- "${cur}"))
        ;;
    esac
}

_lumenctl_route_explain() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--file -f --output -o --home)
    __lumenctl_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--file'|'-f')
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_scorer() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __lumenctl_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    fit|evaluate)
        # Offer subcommand argument completions
        "_lumenctl_scorer_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'fit evaluate' -- "${cur}"))
        ;;
    esac
}

_lumenctl_scorer_fit() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--file -f --route --hard-quality --recall --home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--file'|'-f')
        return
        ;;
    '--route')
        return
        ;;
    '--hard-quality')
        return
        ;;
    '--recall')
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_scorer_evaluate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--file -f --route --hard-quality --output -o --home)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--file'|'-f')
        return
        ;;
    '--route')
        return
        ;;
    '--hard-quality')
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_up() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(-f --filename --home --listen --admin-listen)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '-f'|'--filename')
        __lumenctl_add_completions -d
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    '--listen')
        return
        ;;
    '--admin-listen')
        return
        ;;
    esac
}

_lumenctl_chat() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--model -m --system --max-tokens --endpoint --key --home)
    __lumenctl_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--model'|'-m')
        return
        ;;
    '--system')
        return
        ;;
    '--max-tokens')
        return
        ;;
    '--endpoint')
        return
        ;;
    '--key')
        return
        ;;
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    esac
}

_lumenctl_bench() {
    repeating_flags=()
    non_repeating_flags=(--stream --no-stream --version -h --help)
    repeating_options=()
    non_repeating_options=(--endpoint --key --model -m --concurrency --rate --duration --requests --prompt-words --max-tokens --output -o)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--endpoint')
        return
        ;;
    '--key')
        return
        ;;
    '--model'|'-m')
        return
        ;;
    '--concurrency')
        return
        ;;
    '--rate')
        return
        ;;
    '--duration')
        return
        ;;
    '--requests')
        return
        ;;
    '--prompt-words')
        return
        ;;
    '--max-tokens')
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''wide'$'\n''json'$'\n''yaml'
        return
        ;;
    esac
}

_lumenctl_costs() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--home --since --until --by --output -o)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    '--since')
        return
        ;;
    '--until')
        return
        ;;
    '--by')
        __lumenctl_add_completions -W 'route'$'\n''model'$'\n''key'$'\n''node'$'\n''day'
        return
        ;;
    '--output'|'-o')
        __lumenctl_add_completions -W 'table'$'\n''json'$'\n''csv'
        return
        ;;
    esac
}

_lumenctl_top() {
    repeating_flags=()
    non_repeating_flags=(--once --version -h --help)
    repeating_options=()
    non_repeating_options=(--home --interval)
    __lumenctl_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--home')
        __lumenctl_add_completions -d
        return
        ;;
    '--interval')
        return
        ;;
    esac
}

_lumenctl_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __lumenctl_offer_flags_options -1
}

complete -o filenames -F _lumenctl lumenctl
