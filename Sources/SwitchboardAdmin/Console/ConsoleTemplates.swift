import Mustache

/// The console's pages, as Mustache templates compiled once. Every value is HTML-escaped
/// (`{{…}}`); only `body` and `chart`, which the console renders itself, are inserted raw.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            // The templates are fixed text; one that does not parse is a programming error.
            try! library.register(text, named: name)
        }
        return library
    }()

    static func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(unwrapped(context) ?? [:], withTemplate: name) ?? ""
    }

    /// The context with every absent optional removed and present ones unwrapped, so that a
    /// missing value is a missing key (Mustache would otherwise print "nil").
    static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return unwrapped(wrapped)
        }
        if let dictionary = value as? [String: Any] { return dictionary.compactMapValues(unwrapped) }
        if let array = value as? [Any] { return array.compactMap(unwrapped) }
        return value
    }

    static let sources: [(String, String)] = [
        ("layout", """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Switchboard</title>
        <link rel="stylesheet" href="/console/static/console.css">
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
        <span class="brand">Switchboard</span>
        {{#signedIn}}
        <nav aria-label="Sections">
        {{#auditor}}<a href="/console/audit">Exchanges</a><a href="/console/audit/report">Report</a><a href="/console/audit/verify">Verify the log</a>{{/auditor}}
        {{#admin}}<a href="/console/admin">Routing tables</a><a href="/console/admin/batch">Batch</a><a href="/console/admin/history">Change history</a>{{/admin}}
        </nav>
        <form method="post" action="/console/sign-out" class="who"><input type="hidden" name="csrf" value="{{csrf}}"><span>{{name}} ({{role}})</span> <button type="submit">Sign out</button></form>
        {{/signedIn}}
        </header>
        <main id="main">
        <h1>{{title}}</h1>
        {{{body}}}
        </main>
        </body>
        </html>
        """),
        ("sign-in", """
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/sign-in" class="sign-in">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">Management token</label>
        <input id="token" name="token" type="password" autocomplete="off" required spellcheck="false">
        <p class="hint">The same bearer token as the management API (<code>sbt_…</code>). Auditors see the audit log; administrators the routing tables.</p>
        <button type="submit">Sign in</button>
        </form>
        """),
        ("search", """
        <form method="get" action="/console/audit" class="filters" aria-label="Search the audit log">
        {{#fields}}
        <label>{{label}}
        {{#options}}<select name="{{name}}"><option value="">any</option>{{#choices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/choices}}</select>{{/options}}
        {{^options}}<input name="{{name}}" type="{{type}}" value="{{value}}"{{#pattern}} pattern="{{pattern}}"{{/pattern}}>{{/options}}
        </label>
        {{/fields}}
        <button type="submit">Search</button> <a href="/console/audit">Clear</a>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{^error}}
        <p class="actions">Export these results: <a class="button" href="/console/audit/export?{{query}}&amp;format=csv">CSV</a> <a class="button" href="/console/audit/export?{{query}}&amp;format=fhir">FHIR AuditEvent</a></p>
        <table>
        <caption>{{count}} records on this page, newest first</caption>
        <thead><tr>{{#columns}}<th scope="col"{{#sorted}} aria-sort="{{direction}}"{{/sorted}}><a href="/console/audit?{{query}}&amp;sort={{key}}">{{label}}</a></th>{{/columns}}</tr></thead>
        <tbody>
        {{#records}}
        <tr><td><a href="/console/audit/exchanges/{{id}}">{{received}}</a></td><td>{{trace}}</td><td>{{from}}</td><td>{{to}}</td><td>{{interaction}}</td><td>{{method}}</td><td>{{status}}</td><td>{{outcome}}</td><td class="number">{{duration}}</td></tr>
        {{/records}}
        {{^records}}<tr><td colspan="9">No records match.</td></tr>{{/records}}
        </tbody>
        </table>
        {{#next}}<p><a class="button" href="/console/audit?{{next}}">Next page</a></p>{{/next}}
        {{/error}}
        """),
        ("record", """
        <p><a href="/console/audit">Back to the search</a>{{#trace}} · <a href="/console/audit?trace-id={{trace}}">Every exchange of trace {{trace}}</a>{{/trace}}{{#correlation}} · <a href="/console/audit?correlation-id={{correlation}}">Every exchange of correlation {{correlation}}</a>{{/correlation}}</p>
        <dl class="record">
        {{#fields}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/fields}}
        </dl>
        """),
        ("verify", """
        <p class="{{#intact}}ok{{/intact}}{{^intact}}error{{/intact}}" role="status">{{summary}}</p>
        <table>
        <caption>Each node's hash chain, checked now</caption>
        <thead><tr><th scope="col">Node</th><th scope="col">Records</th><th scope="col">Sequence</th><th scope="col">Result</th></tr></thead>
        <tbody>{{#chains}}<tr><td>{{node}}</td><td class="number">{{records}}</td><td>{{range}}</td><td>{{result}}</td></tr>{{/chains}}</tbody>
        </table>
        """),
        ("report", """
        <form method="get" action="/console/audit/report" class="filters" aria-label="Report period">
        <label>From <input name="since" type="date" value="{{since}}"></label>
        <label>Until <input name="until" type="date" value="{{until}}"></label>
        <button type="submit">Report</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#report}}
        <p>{{exchanges}} exchanges: {{forwarded}} forwarded, {{refused}} refused, {{errors}} errors ({{errorRate}}).</p>
        <h2>Exchanges per day by provider</h2>
        {{{dayChart}}}
        <h2>Refusals by rule</h2>
        {{{ruleChart}}}
        <h2>Latency percentiles (whole exchange)</h2>
        {{{latencyChart}}}
        {{/report}}
        """),
        ("admin-list", """
        <nav aria-label="Kinds" class="tabs">{{#tabs}}<a href="/console/admin?kind={{name}}"{{#current}} aria-current="page"{{/current}}>{{name}}</a> {{/tabs}}</nav>
        <form method="get" action="/console/admin" class="filters" aria-label="Search the routing tables">
        <input type="hidden" name="kind" value="{{collection}}">
        <label>Search <input name="q" type="search" value="{{q}}"></label>
        <label>Status <select name="status"><option value="">any</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select></label>
        <button type="submit">Search</button>
        </form>
        <p class="actions"><a class="button" href="/console/admin/{{collection}}/new">New {{kindName}}</a></p>
        <table>
        <caption>{{count}} {{collection}}{{#more}} (the first 500 shown; narrow the search){{/more}}</caption>
        <thead><tr><th scope="col">Key</th><th scope="col">Summary</th><th scope="col">Status</th><th scope="col">Version</th></tr></thead>
        <tbody>
        {{#entries}}<tr><td><a href="{{href}}">{{key}}</a></td><td>{{summary}}</td><td>{{status}}</td><td class="number">{{version}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="4">Nothing matches.</td></tr>{{/entries}}
        </tbody>
        </table>
        """),
        ("admin-entry", """
        {{#notice}}<p class="ok" role="status">{{notice}}</p>{{/notice}}
        {{#hasErrors}}<p class="error" role="alert">Nothing was changed: see the messages below.</p>{{/hasErrors}}
        {{#general}}<p class="error">{{message}}</p>{{/general}}
        <form method="post" action="{{action}}" class="entry" novalidate>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="version" value="{{version}}">
        {{#fields}}
        <div class="field{{#errors}} invalid{{/errors}}">
        <label for="{{id}}">{{label}}{{#required}} <span aria-hidden="true">*</span>{{/required}}</label>
        {{#text}}<input id="{{id}}" name="{{name}}" value="{{value}}"{{#errors}} aria-invalid="true" aria-describedby="{{id}}-error"{{/errors}}>{{/text}}
        {{#list}}<textarea id="{{id}}" name="{{name}}" rows="4"{{#errors}} aria-invalid="true" aria-describedby="{{id}}-error"{{/errors}}>{{value}}</textarea>{{/list}}
        {{#choice}}<select id="{{id}}" name="{{name}}">{{#choices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/choices}}</select>{{/choice}}
        {{#errors}}<p class="field-error" id="{{id}}-error">{{message}}</p>{{/errors}}
        </div>
        {{/fields}}
        <div class="field"><label for="reason">Reason for the change (kept in the history)</label><input id="reason" name="reason"></div>
        <button type="submit">Check the change</button>
        </form>
        {{#retire}}
        <form method="post" action="{{retire}}" class="retire">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="version" value="{{version}}">
        <button type="submit">Retire…</button>
        </form>
        {{/retire}}
        {{#history}}<p><a href="{{history}}">This entry's history</a></p>{{/history}}
        """),
        ("admin-preview", """
        {{#none}}<p>Nothing would change.</p>{{/none}}
        {{#changes}}
        <h2>{{action}} {{ref}}</h2>
        <table><thead><tr><th scope="col">Field</th><th scope="col">Now</th><th scope="col">After</th></tr></thead>
        <tbody>{{#rows}}<tr><td>{{field}}</td><td><del>{{before}}</del></td><td><ins>{{after}}</ins></td></tr>{{/rows}}</tbody></table>
        {{/changes}}
        <form method="post" action="{{action}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
        <button type="submit">Apply this change</button> <a href="{{back}}">Cancel</a>
        </form>
        """),
        ("admin-batch", """
        {{#hasErrors}}<div class="error" role="alert"><p>Nothing was changed:</p><ul>{{#errors}}<li>{{message}}</li>{{/errors}}</ul></div>{{/hasErrors}}
        <form method="post" action="/console/admin/batch" class="entry">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="changes">Changes, as the API's batch takes them: {"changes": [{"op": "update", "kind": "endpoint", "entry": {…}, "expectedVersion": 2}, …], "reason": "…"}</label>
        <textarea id="changes" name="changes" rows="16" spellcheck="false">{{text}}</textarea>
        <button type="submit">Check the batch</button>
        </form>
        """),
        ("admin-history", """
        {{#empty}}<p>No changes recorded.</p>{{/empty}}
        <table>
        <caption>Newest first</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Through</th><th scope="col">What</th><th scope="col">Changes</th><th scope="col">Reason</th></tr></thead>
        <tbody>
        {{#records}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{source}}</td><td>{{action}} {{ref}} (generation {{generation}})</td>
        <td>{{#changes}}<div>{{field}}: <del>{{before}}</del> → <ins>{{after}}</ins></div>{{/changes}}</td><td>{{reason}}</td></tr>{{/records}}
        </tbody>
        </table>
        """),
        ("message", """
        <p class="{{kind}}" role="alert">{{message}}</p>
        {{#link}}<p><a href="{{href}}">{{text}}</a></p>{{/link}}
        """),
    ]

    /// The console's only stylesheet (served by Switchboard; nothing loads from elsewhere).
    static let css = """
    :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fff; }
    body { margin: 0; }
    .skip { position: absolute; left: -1000px; } .skip:focus { left: 1rem; top: 1rem; background: #ffd; padding: .5rem; }
    header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #003087; color: #fff; }
    header a { color: #fff; margin-right: 1rem; } .brand { font-weight: 700; } .who { margin-left: auto; }
    main { padding: 1rem 1.5rem; max-width: 80rem; }
    .filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
    .filters label { display: flex; flex-direction: column; font-size: .85rem; }
    input, select, button { font: inherit; padding: .3rem .4rem; }
    button, .button { background: #005eb8; color: #fff; border: 0; padding: .4rem .8rem; border-radius: 4px; text-decoration: none; }
    table { border-collapse: collapse; width: 100%; } caption { text-align: left; padding: .5rem 0; color: #555; }
    th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; font-size: .9rem; } td.number { text-align: right; }
    .error { color: #a00; font-weight: 600; } .ok { color: #070; font-weight: 600; }
    dl.record { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { font-weight: 600; }
    .sign-in { display: flex; flex-direction: column; max-width: 28rem; gap: .5rem; } .hint { color: #555; font-size: .85rem; }
    svg text { font-size: 11px; fill: #1d1d1f; } svg rect:not([fill]) { fill: #005eb8; }
    :focus-visible { outline: 3px solid #ffb81c; }
    form.entry { display: flex; flex-direction: column; gap: .75rem; max-width: 40rem; }
    .field { display: flex; flex-direction: column; } .field.invalid input, .field.invalid textarea { border: 2px solid #a00; }
    .field-error { color: #a00; margin: .2rem 0 0; } .retire { margin-top: 1rem; } .retire button { background: #a00; }
    .tabs a { margin-right: .75rem; } .tabs a[aria-current] { font-weight: 700; }
    del { color: #a00; } ins { color: #070; text-decoration: none; }
    """
}
