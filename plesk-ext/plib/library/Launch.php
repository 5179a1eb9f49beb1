<?php
/**
 * Mints the token for a set of claims and says how to hand it to the backend: always a form posted to the
 * backend on the panel's own origin. A GET link would let another site log a visitor into the attacker's
 * session (login CSRF); the backend accepts the token only in a POST whose Origin is the panel's.
 */
class Modules_PassengerPanel_Launch
{
    /**
     * @param array $claims [user, role, domains, open] from Modules_PassengerPanel_Access
     * @return array ['action' => ..., 'token' => ..., 'next' => ...]
     */
    public static function forClaims(array $claims)
    {
        list($user, $role, $domains, $open) = $claims;
        $token = Modules_PassengerPanel_Token::fromSecretFile(Modules_PassengerPanel_Config::secretPath())
            ->mint($user, $role, $domains, $open, Modules_PassengerPanel_Config::TOKEN_LIFETIME_SECONDS);
        $next = $open === null ? '/' : '/domains/' . rawurlencode($open);
        return ['action' => Modules_PassengerPanel_Config::loginAction(), 'token' => $token, 'next' => $next];
    }
}
