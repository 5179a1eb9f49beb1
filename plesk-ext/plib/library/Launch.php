<?php
/**
 * Mints the token for a set of claims and says how to hand it to the backend: a plain redirect with the
 * token in the query string, or, when the user's domain list makes that URL too long for the panel's
 * nginx (8 KiB request lines by default), a form posted to the same address.
 */
class Modules_PassengerPanel_Launch
{
    /** Longest URL we redirect to; beyond it the token travels in a POST body. */
    const MAX_GET_URL = 6000;

    /**
     * @param array $claims [user, role, domains, open] from Modules_PassengerPanel_Access
     * @return array ['method' => 'get', 'url' => ...] or ['method' => 'post', 'action' => ..., 'token' => ..., 'next' => ...]
     */
    public static function forClaims(array $claims)
    {
        list($user, $role, $domains, $open) = $claims;
        $token = Modules_PassengerPanel_Token::fromSecretFile(Modules_PassengerPanel_Config::secretPath())
            ->mint($user, $role, $domains, $open, Modules_PassengerPanel_Config::TOKEN_LIFETIME_SECONDS);
        $next = $open === null ? '/' : '/domains/' . rawurlencode($open);
        $url = Modules_PassengerPanel_Config::loginUrl($token, $next);
        if (strlen($url) <= self::MAX_GET_URL) {
            return ['method' => 'get', 'url' => $url];
        }
        return ['method' => 'post', 'action' => Modules_PassengerPanel_Config::PROXY_PATH . '/auth/plesk', 'token' => $token, 'next' => $next];
    }
}
