// dpi's pages: copy buttons and the notification log's live update. Plain JS, no build step.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  // Without the async clipboard (plain HTTP), a selected textarea and execCommand still work.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
  return Promise.resolve();
}

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.addEventListener("click", () => {
      copyText(button.dataset.copy).then(
        () => { button.textContent = "Copied"; },
        () => { button.textContent = "Select and copy"; },
      );
    });
  }
}

const LOG_COLUMNS = ["id", "name", "client_id", "state", "attempts", "created_at", "due_at", "delivered_at"];

function logRow(copy) {
  const row = document.createElement("tr");
  row.dataset.id = String(copy.id);
  for (const key of LOG_COLUMNS) {
    const cell = document.createElement("td");
    let value = copy[key] === null || copy[key] === undefined ? "" : String(copy[key]);
    if (key === "id") {
      const link = document.createElement("a");
      link.href = "/console/notifications/" + encodeURIComponent(value);
      link.textContent = value;
      cell.appendChild(link);
    } else if (key === "client_id") {
      const code = document.createElement("code");
      code.className = "id";
      code.textContent = value.slice(0, 12) + "…";
      cell.appendChild(code);
    } else {
      cell.textContent = value;
    }
    if (key === "state") {
      cell.className = "state state-" + value;
    }
    row.appendChild(cell);
  }
  return row;
}

function setUpLiveLog() {
  const table = document.getElementById("notification-log");
  const status = document.getElementById("live-status");
  if (!table || !table.dataset.live) {
    return;
  }
  const body = table.querySelector("tbody");
  async function refresh() {
    try {
      const answer = await fetch(table.dataset.live, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!answer.ok || !(answer.headers.get("content-type") || "").includes("json")) {
        status.textContent = "Live update stopped: sign in again.";
        return false;
      }
      const data = await answer.json();
      const rows = data.copies.map(logRow);
      if (rows.length) {
        body.replaceChildren(...rows);
      }
      status.textContent = "Updated " + new Date().toLocaleTimeString() + " (every 2 seconds).";
      return true;
    } catch (problem) {
      status.textContent = "Live update failed; retrying.";
      return true;
    }
  }
  async function loop() {
    if (await refresh()) {
      window.setTimeout(loop, 2000);
    }
  }
  window.setTimeout(loop, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  setUpLiveLog();
});
