"""The embeddable form: `embed.js` and the JSON description of a form it renders from.

The script builds the form with DOM calls and `textContent` only (never innerHTML), so no
label, option or error message can inject markup into the host page.
"""

from typing import Any

from crm.i18n import Translator
from crm.webforms.definitions import PublicForm
from forms.page import ACCENT, AUTOCOMPLETE, accent_text_color, localized

TEXT_KEYS = {
    "submit": "page-submit",
    "sending": "page-sending",
    "required_note": "page-required-note",
    "required": "page-required",
    "error_summary": "page-error-summary",
    "error_prefix": "page-error-prefix",
    "consent_legend": "page-consent-legend",
    "trap_label": "page-trap-label",
    "choose": "page-choose",
    "network_error": "page-network-error",
}


def safe_redirect(url: str | None) -> str | None:
    """The form's redirect URL if it is a web address (never javascript: or data:)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def brand_spec(form: PublicForm) -> dict[str, Any] | None:
    """The company's name and accent colour for the embedded form (its logo is left out: the
    form sits on the company's own site, under its own header)."""
    accent = form.accent_color if form.accent_color and ACCENT.match(form.accent_color) else None
    if not accent and not form.brand_name:
        return None
    return {
        "name": form.brand_name,
        "accent": accent,
        "on_accent": accent_text_color(accent) if accent else None,
    }


def form_spec(form: PublicForm, t: Translator, *, token: str, trap: str) -> dict[str, Any]:
    """What `embed.js` needs to render and send a form, in the visitor's language (plain text)."""
    fields = [
        {
            "name": spec.name,
            "type": spec.type,
            "label": spec.label_in(t.language),
            "placeholder": localized(spec.placeholder, t.language),
            "required": spec.required,
            "options": list(spec.options),
            "option_texts": spec.option_labels_in(t.language),
            "autocomplete": AUTOCOMPLETE.get(spec.maps_to or ""),
        }
        for spec in form.fields
    ]
    consent = None
    if form.consent_text:
        consent = {"text": form.consent_text, "required": form.consent_required}
    return {
        "slug": form.slug,
        "title": form.title,
        "lang": t.language,
        "fields": fields,
        "consent": consent,
        "trap": trap,
        "token": token,
        "success_text": form.success_text or t.plain("page-sent-default"),
        "redirect_url": safe_redirect(form.redirect_url),
        "brand": brand_spec(form),
        "texts": {name: t.plain(key) for name, key in TEXT_KEYS.items()},
    }


EMBED_JS = r"""/* Carnet web form: renders the form into this page and sends it with fetch. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.JSON) { return; }
  var formUrl = script.src.replace(/\/embed\.js(?:[?#].*)?$/, "");
  var slug = decodeURIComponent(formUrl.slice(formUrl.lastIndexOf("/") + 1));
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var STYLE = [
    ".carnet-form{max-width:36rem;font:inherit}",
    ".carnet-field{margin:0 0 1rem}",
    ".carnet-form label,.carnet-form legend{display:block;font-weight:600;margin:0 0 .25rem}",
    ".carnet-form input,.carnet-form select,.carnet-form textarea{display:block;width:100%;",
    "box-sizing:border-box;font:inherit;padding:.5rem .6rem;border:2px solid #6b6b6b;",
    "border-radius:.3rem}",
    ".carnet-form textarea{min-height:7rem}",
    ".carnet-form fieldset{border:0;padding:0;margin:0 0 1rem}",
    ".carnet-check{display:flex;gap:.5rem;align-items:flex-start}",
    ".carnet-check input{width:1.3rem;height:1.3rem;flex:none;margin:.15rem 0 0}",
    ".carnet-check label{font-weight:400}",
    ".carnet-form [aria-invalid=true]{border-color:#b3261e}",
    ".carnet-error{color:#b3261e;font-weight:600;margin:.1rem 0 .3rem}",
    ".carnet-summary{border:3px solid #b3261e;padding:.6rem 1rem;margin:0 0 1rem}",
    ".carnet-hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;",
    "overflow:hidden}",
    ".carnet-form button{font:inherit;font-weight:600;min-height:44px;padding:.6rem 1.3rem}",
    ".carnet-sent{border-left:5px solid #2e7d32;padding:1rem;white-space:pre-line}",
    ".carnet-form.carnet-accent button{background:var(--carnet-accent);",
    "color:var(--carnet-on-accent);border:0;border-radius:.3rem}",
    ".carnet-form.carnet-accent{border-left:4px solid var(--carnet-accent);padding-left:1rem}"
  ].join("");
  var counter = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value !== null && value !== undefined && value !== false && value !== "") {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    });
    if (text) { node.textContent = text; }
    return node;
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function utm() {
    var params = new URLSearchParams(window.location.search), out = {};
    UTM.forEach(function (name) {
      var value = params.get(name);
      if (value) { out[name] = value; }
    });
    return out;
  }

  function addStyle() {
    if (document.getElementById("carnet-form-style")) { return; }
    var style = el("style", {id: "carnet-form-style"});
    style.textContent = STYLE;
    (document.head || document.documentElement).appendChild(style);
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function brand(form, spec) {
    // The company's accent on the button and the form's edge; its name with the title as
    // the form's accessible name (the host page shows its own heading, not ours).
    var b = spec.brand || {};
    if (b.accent && /^#[0-9a-f]{6}$/i.test(b.accent) && /^#[0-9a-f]{3,6}$/i.test(b.on_accent)) {
      form.classList.add("carnet-accent");
      form.style.setProperty("--carnet-accent", b.accent);
      form.style.setProperty("--carnet-on-accent", b.on_accent);
    }
    var name = spec.title + (b.name ? " · " + b.name : "");
    form.setAttribute("aria-label", name);
  }

  function render(box, spec) {
    var t = spec.texts, prefix = "carnet-" + (++counter) + "-", key = newKey();
    var controls = {}, form, summary, trap, button, status, limited = false;
    form = el("form", {"class": "carnet-form", lang: spec.lang, action: formUrl, method: "post",
      novalidate: true});
    brand(form, spec);
    summary = el("div", {"class": "carnet-summary", role: "alert", tabindex: "-1"});
    summary.hidden = true;
    form.appendChild(summary);

    function errorNode(id) {
      var node = el("p", {"class": "carnet-error", id: id + "-error"});
      node.hidden = true;
      return node;
    }

    function labelNode(id, text, required) {
      var label = el("label", {"for": id}, text);
      if (required) { label.appendChild(el("span", {"aria-hidden": "true"}, " *")); }
      return label;
    }

    spec.fields.forEach(function (f) {
      var id = prefix + f.name, wrap = el("div", {"class": "carnet-field"}), input, error;
      error = errorNode(id);
      if (f.type === "checkbox") {
        input = el("input", {type: "checkbox", id: id, name: f.name, value: "on",
          required: f.required});
        var row = el("div", {"class": "carnet-check"});
        row.appendChild(input);
        row.appendChild(labelNode(id, f.label, f.required));
        wrap.appendChild(error);
        wrap.appendChild(row);
      } else {
        if (f.type === "textarea") {
          input = el("textarea", {id: id, name: f.name, placeholder: f.placeholder,
            required: f.required});
        } else if (f.type === "select") {
          input = el("select", {id: id, name: f.name, required: f.required});
          input.appendChild(el("option", {value: ""}, t.choose));
          f.options.forEach(function (option, index) {
            var node = el("option", {}, (f.option_texts || [])[index] || option);
            node.value = option;
            input.appendChild(node);
          });
        } else {
          input = el("input", {type: f.type, id: id, name: f.name, placeholder: f.placeholder,
            autocomplete: f.autocomplete, required: f.required});
        }
        wrap.appendChild(labelNode(id, f.label, f.required));
        wrap.appendChild(error);
        wrap.appendChild(input);
      }
      controls[f.name] = {input: input, error: error};
      form.appendChild(wrap);
    });

    if (spec.consent) {
      var id = prefix + "consent", set = el("fieldset", {"class": "carnet-field"});
      var legend = el("legend", {}, t.consent_legend);
      if (spec.consent.required) { legend.appendChild(el("span", {"aria-hidden": "true"}, " *")); }
      var input = el("input", {type: "checkbox", id: id, name: "consent", value: "on",
        required: spec.consent.required});
      var row = el("div", {"class": "carnet-check"}), error = errorNode(id);
      row.appendChild(input);
      row.appendChild(el("label", {"for": id}, spec.consent.text));
      set.appendChild(legend);
      set.appendChild(error);
      set.appendChild(row);
      controls.consent = {input: input, error: error};
      form.appendChild(set);
    }

    var hp = el("div", {"class": "carnet-hp", "aria-hidden": "true"});
    hp.appendChild(el("label", {"for": prefix + "hp"}, t.trap_label));
    trap = el("input", {type: "text", id: prefix + "hp", name: spec.trap, tabindex: "-1",
      autocomplete: "off"});
    hp.appendChild(trap);
    form.appendChild(hp);
    form.appendChild(el("p", {}, t.required_note));
    button = el("button", {type: "submit"}, t.submit);
    form.appendChild(button);
    status = el("p", {role: "status", "aria-live": "polite"});
    form.appendChild(status);

    function clearErrors() {
      summary.hidden = true;
      summary.textContent = "";
      Object.keys(controls).forEach(function (name) {
        var c = controls[name];
        c.error.hidden = true;
        c.error.textContent = "";
        c.input.removeAttribute("aria-invalid");
        c.input.removeAttribute("aria-describedby");
      });
    }

    function showErrors(errors) {
      var list = el("ul", {});
      summary.appendChild(el("p", {}, t.error_summary));
      Object.keys(errors).forEach(function (name) {
        var message = String(errors[name]), c = controls[name];
        if (c) {
          c.error.textContent = t.error_prefix + " " + message;
          c.error.hidden = false;
          c.input.setAttribute("aria-invalid", "true");
          c.input.setAttribute("aria-describedby", c.error.id);
          list.appendChild(el("li", {}, message));
        } else {
          list.appendChild(el("li", {}, message));
        }
      });
      summary.appendChild(list);
      summary.hidden = false;
      summary.focus();
    }

    function showNotice(text) {  // not the fields' fault: the server could not take it
      summary.appendChild(el("p", {}, text));
      summary.hidden = false;
      summary.focus();
    }

    function payload() {
      var body = {_token: spec.token, _page: window.location.href, _lang: spec.lang};
      var extra = utm();
      Object.keys(extra).forEach(function (name) { body[name] = extra[name]; });
      Object.keys(controls).forEach(function (name) {
        var input = controls[name].input;
        if (input.type === "checkbox") {
          if (input.checked) { body[name] = "on"; }
        } else {
          body[name] = input.value;
        }
      });
      body[spec.trap] = trap.value;
      return body;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      button.disabled = true;
      status.textContent = t.sending;
      fetch(formUrl, {
        method: "POST", credentials: "omit",
        headers: {"Content-Type": "application/json", "Accept": "application/json",
          "Idempotency-Key": key},
        body: JSON.stringify(payload())
      }).then(function (response) {
        limited = response.status === 429;
        return response.json();
      }).then(function (answer) {
        status.textContent = "";
        if (answer && answer.ok) {
          var target = safeUrl(spec.redirect_url);
          if (target) { window.location.assign(target); return; }
          var done = el("p", {"class": "carnet-sent", role: "status", tabindex: "-1"},
            spec.success_text);
          form.parentNode.replaceChild(done, form);
          done.focus();
          return;
        }
        if (answer && answer.errors) {
          key = newKey();  // the corrected form is a new submission
          showErrors(answer.errors);
          return;
        }
        // 429 "try again in N seconds": the post was kept for the team, so the next send is
        // a new one (a new key). 503 "try again in a few minutes" (same key: if it was stored
        // after all, the retry gets its outcome), or another error the server explains.
        if (limited) { key = newKey(); }
        showNotice((answer && answer.error) || t.network_error);
      }).catch(function () {
        status.textContent = t.network_error;  // same key: a retry cannot make a twin
      }).then(function () {
        button.disabled = false;
      });
    });

    box.textContent = "";
    box.appendChild(form);
  }

  function mount(box) {
    box.setAttribute("data-carnet-ready", "");
    var lang = box.getAttribute("data-lang") || document.documentElement.lang || "";
    var url = formUrl + "?format=json" + (lang ? "&lang=" + encodeURIComponent(lang) : "");
    fetch(url, {credentials: "omit"}).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (spec) {
        if (response.ok && spec) {
          addStyle();
          render(box, spec);
          return;
        }
        if (spec && spec.error) {  // 503: the visitor reads "try again in a few minutes"
          box.textContent = "";
          box.appendChild(el("p", {"class": "carnet-unavailable", role: "status"},
            String(spec.error)));
        }
        throw new Error("HTTP " + response.status);
      });
    }).catch(function (error) {
      if (window.console) { window.console.error("Carnet form " + slug + ": " + error); }
    });
  }

  var boxes = [], found = document.querySelectorAll("[data-carnet-form]");
  Array.prototype.forEach.call(found, function (box) {
    if (box.getAttribute("data-carnet-form") === slug && !box.hasAttribute("data-carnet-ready")) {
      boxes.push(box);
    }
  });
  if (!boxes.length) {
    var box = el("div", {"data-carnet-form": slug});
    script.parentNode.insertBefore(box, script.nextSibling);
    boxes.push(box);
  }
  boxes.forEach(mount);
})();
"""
