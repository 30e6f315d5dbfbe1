/// A link under a sign-in form ("Forgot your password?").
struct AuthLink: Sendable {
    let text: String
    let href: String
}

/// `/signin`, `/signup`, `/reset` and `/reset/confirm`, and the notices after them: one form template, whose fields
/// are chosen here. Plain HTML forms posted to the same origin, so they work without the pages' scripts.
package struct AuthPage: Sendable {
    let chrome: Chrome
    let heading: String
    let lead: String?
    let notice: String?
    let showForm: Bool
    let action: String
    let button: String
    let error: String?
    let token: String?
    let showEmail: Bool
    let email: String
    let showPassword: Bool
    let passwordLabel: String
    let passwordAutocomplete: String
    let passwordHint: String
    let showInvite: Bool
    let invite: String
    let links: [AuthLink]
    let hasLinks: Bool

    /// What a form shows besides its fields: a failed attempt's message and what the person typed (never a password).
    package struct State: Sendable {
        package var error: String?
        package var email = ""
        package var invite = ""
        package var token: String?

        package init(error: String? = nil, email: String = "", invite: String = "", token: String? = nil) {
            self.error = error
            self.email = email
            self.invite = invite
            self.token = token
        }
    }
}

extension WebPages {
    static let passwordRule = "At least 10 characters."

    /// The sign-in form.
    package func signIn(_ state: AuthPage.State = .init(), notice: String? = nil) -> String {
        var links = [AuthLink(text: "Forgot your password?", href: "/reset")]
        if self.settings.signupOpen { links.append(AuthLink(text: "No account yet? Create one", href: "/signup")) }
        return self.authPage(
            "Sign in",
            notice: notice,
            form: (action: "/signin", button: "Sign in"),
            state,
            password: ("Password", "current-password", ""),
            links: links
        )
    }

    /// The sign-up form (with the invite field under `--signup invite`).
    package func signUp(_ state: AuthPage.State = .init(), inviteNeeded: Bool) -> String {
        self.authPage(
            "Create an account",
            lead: "Pay as you go: no subscription. We mail you a link to verify your email; then you can create API keys and add credit.",
            form: (action: "/signup", button: "Create account"),
            state,
            password: ("Password", "new-password", Self.passwordRule),
            invite: inviteNeeded,
            links: [AuthLink(text: "Have an account? Sign in", href: "/signin")]
        )
    }

    /// The "forgot your password" form.
    package func resetRequest(_ state: AuthPage.State = .init(), notice: String? = nil) -> String {
        self.authPage(
            "Reset your password",
            lead: "We mail a link to set a new password, if this email has an account.",
            notice: notice,
            form: notice == nil ? (action: "/reset", button: "Mail me a link") : nil,
            state,
            links: [AuthLink(text: "Back to sign in", href: "/signin")]
        )
    }

    /// The new-password form a reset link opens.
    package func resetConfirm(_ state: AuthPage.State) -> String {
        self.authPage(
            "Choose a new password",
            lead: "Setting it signs out every browser signed in to this account.",
            form: (action: "/reset/confirm", button: "Set password"),
            state,
            email: false,
            password: ("New password", "new-password", Self.passwordRule)
        )
    }

    /// A page that only says something (an email verified, a link expired), with where to go next.
    package func authNotice(_ heading: String, _ notice: String, links: [(text: String, href: String)]) -> String {
        self.authPage(heading, notice: notice, form: nil, .init(), email: false, links: links.map { AuthLink(text: $0.text, href: $0.href) })
    }

    private func authPage(
        _ heading: String,
        lead: String? = nil,
        notice: String? = nil,
        form: (action: String, button: String)?,
        _ state: AuthPage.State,
        email: Bool = true,
        password: (label: String, autocomplete: String, hint: String)? = nil,
        invite: Bool = false,
        links: [AuthLink] = []
    ) -> String {
        WebTemplates.render(
            AuthPage(
                chrome: self.chrome(heading, current: "auth"),
                heading: heading,
                lead: lead,
                notice: notice,
                showForm: form != nil,
                action: form?.action ?? "",
                button: form?.button ?? "",
                error: state.error,
                token: state.token,
                showEmail: email,
                email: state.email,
                showPassword: password != nil,
                passwordLabel: password?.label ?? "",
                passwordAutocomplete: password?.autocomplete ?? "",
                passwordHint: password?.hint ?? "",
                showInvite: invite,
                invite: state.invite,
                links: links,
                hasLinks: !links.isEmpty
            ),
            template: "auth"
        )
    }
}
