import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Api } from "../api/client";
import type { AuthOut, User } from "../api/types";

type AuthState = {
  api: Api;
  user: User | null;
  /** True until we know whether stored tokens still open a session. */
  checking: boolean;
  /** A plain message for the login page (e.g. the session ended). */
  notice: string | null;
  login(email: string, password: string): Promise<void>;
  register(name: string, email: string, password: string): Promise<void>;
  logout(): Promise<void>;
};

const AuthContext = createContext<AuthState | null>(null);

export const EXPIRED_NOTICE = "Your session has ended. Log in again to carry on where you left off.";

export function AuthProvider({ api, children }: { api: Api; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(api.signedIn);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    // The Api calls this when refreshing fails: back to the login page, with a message.
    return api.onExpired(() => {
      setUser(null);
      setNotice(EXPIRED_NOTICE);
      queryClient.clear();
    });
  }, [api, queryClient]);

  useEffect(() => {
    if (!api.signedIn) return;
    let live = true;
    api
      .json<User>("/api/auth/me")
      .then((me) => live && setUser(me))
      .catch(() => live && setUser(null))
      .finally(() => live && setChecking(false));
    return () => {
      live = false;
    };
  }, [api]);

  const signedIn = useCallback(
    (answer: AuthOut) => {
      api.remember(answer);
      queryClient.clear();
      setNotice(null);
      setUser(answer.user);
    },
    [api, queryClient],
  );

  const login = useCallback(
    async (email: string, password: string) => {
      signedIn(await api.json<AuthOut>("/api/auth/login", { body: { email, password }, anonymous: true }));
    },
    [api, signedIn],
  );

  const register = useCallback(
    async (name: string, email: string, password: string) => {
      signedIn(
        await api.json<AuthOut>("/api/auth/register", { body: { name, email, password }, anonymous: true }),
      );
    },
    [api, signedIn],
  );

  const logout = useCallback(async () => {
    const refresh = api.store.get()?.refresh;
    try {
      await api.json("/api/auth/logout", { body: { refresh_token: refresh ?? null } });
    } catch {
      // Logged out here whatever the server says.
    }
    api.forget();
    queryClient.clear();
    setUser(null);
    setNotice("You are logged out.");
  }, [api, queryClient]);

  const value = useMemo(
    () => ({ api, user, checking, notice, login, register, logout }),
    [api, user, checking, notice, login, register, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

export function useApi(): Api {
  return useAuth().api;
}
