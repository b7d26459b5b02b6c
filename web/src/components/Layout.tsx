import { NavLink, Outlet } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { useLive } from "../live/LiveEvents";
import { CommandBar } from "./CommandBar";

export function Layout() {
  const { user, logout } = useAuth();
  const { connected } = useLive();
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <span className="wordmark">Designer BFF</span>
          <nav aria-label="Main" className="mainnav">
            <NavLink to="/" end>
              Gallery
            </NavLink>
            <NavLink to="/collections">Collections</NavLink>
            <NavLink to="/history">History</NavLink>
            <NavLink to="/review">Review</NavLink>
            <NavLink to="/portfolio">Portfolio</NavLink>
            <NavLink to="/style-profile">Style profile</NavLink>
            <NavLink to="/preferences">Learned</NavLink>
            <NavLink to="/nightly">Nightly</NavLink>
            <NavLink to="/analytics">Analytics</NavLink>
            <NavLink to="/costs">Costs</NavLink>
            {user?.role === "admin" && <NavLink to="/admin/costs">Admin costs</NavLink>}
          </nav>
          <div className="account">
            <span className={`live-dot${connected ? " on" : ""}`} title={connected ? "Live" : "Reconnecting…"}>
              <span className="visually-hidden">{connected ? "Live updates on" : "Live updates reconnecting"}</span>
            </span>
            <span className="user-name">{user?.name || user?.email}</span>
            <button type="button" className="button ghost" onClick={() => void logout()}>
              Log out
            </button>
          </div>
        </div>
        <CommandBar />
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
